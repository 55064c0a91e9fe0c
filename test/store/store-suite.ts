import { afterAll, beforeAll, describe } from 'vitest';
import type { Store } from '../../src/directory/store.js';
import type { SuiteContext } from './fixtures.js';
import { coordinationTests } from './suite-coordination.js';
import { filterTests } from './suite-filters.js';
import { groupTests } from './suite-groups.js';
import { jobTests } from './suite-jobs.js';
import { leaseTests } from './suite-leases.js';
import { notificationTests } from './suite-notifications.js';
import { syncTests } from './suite-sync.js';
import { targetLockTests } from './suite-target-locks.js';
import { unmanagedTests } from './suite-unmanaged.js';
import { userTests } from './suite-users.js';

/**
 * The one store suite, run against every backend. `createStore` is called twice: the second
 * instance shares the first one's database (another replica), for concurrency tests. Each test
 * works in a connection of its own, so no test needs an empty database.
 */
export function runStoreSuite(name: string, createStore: () => Store | Promise<Store>): void {
  describe(`store: ${name}`, () => {
    let store: Store | undefined;
    let other: Store | undefined;
    const context: SuiteContext = {
      store: () => store as Store,
      other: () => other as Store,
    };

    beforeAll(async () => {
      store = await createStore();
      await store.migrate();
      other = await createStore();
      await other.migrate();
    });

    afterAll(async () => {
      await other?.close();
      await store?.close();
    });

    userTests(context);
    filterTests(context);
    groupTests(context);
    jobTests(context);
    leaseTests(context);
    targetLockTests(context);
    coordinationTests(context);
    syncTests(context);
    notificationTests(context);
    unmanagedTests(context);
  });
}
