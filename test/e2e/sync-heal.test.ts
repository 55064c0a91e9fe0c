import { afterEach, describe, expect, it } from 'vitest';
import { injectFault, simControl } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { logLines, openTestStore, startTestBridge, type LogLine, type StoreKind, type TestBridge, type TestStore } from '../helpers/bridge.js';
import { createScimUser, person, waitForAccount, waitForSync } from './sync-helpers.js';

/**
 * Nothing waits for a human forever: users that failed because the target refused the
 * credentials are retried by themselves once the connection's access check passes again, or the
 * bridge restarts with a new configuration; any permanent failure is retried on a long backoff.
 */

const linesOf = (tb: TestBridge): LogLine[] => logLines(tb.logs);

const codeOf = (s: Record<string, unknown>): string | undefined => (s.lastError as { code?: string } | undefined)?.code;

describe.each(['sqlite', 'postgres'] as const)('healing on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  let store: TestStore | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
    await store?.close();
    store = undefined;
  });

  it('a 401 storm, then a fixed key: the failed users converge once the access check passes', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], start: { accessCacheMs: 50, accessWatchMs: 100 } });
    const sim = tb.sims.get('yardstik')!;
    await injectFault(sim, { kind: 'status', status: 401, rate: 1 });
    const names = ['storm1', 'storm2', 'storm3'];
    const ids: string[] = [];
    for (const name of names) ids.push(await createScimUser(tb, 'yardstik', okta.createUser(person(name))));
    for (const id of ids) await waitForSync(tb, 'yardstik', id, (s) => s.state === 'failed' && codeOf(s) === 'TARGET_AUTH', 'failed with TARGET_AUTH');
    // A permanent failure needs a person: it is logged at warn, once (the failed write's line).
    const failures = linesOf(tb).filter((l) => l.message === 'convergence failed' || (l.message === 'target write' && l.result === 'failed'));
    expect(failures.length).toBeGreaterThanOrEqual(ids.length);
    expect(failures.every((l) => l.level === 'warn')).toBe(true);
    // The key works again (fixed in the target): nobody runs `scim-bridge sync`.
    await simControl(sim, '/faults', undefined, 'DELETE');
    for (const [i, id] of ids.entries()) {
      await waitForSync(tb, 'yardstik', id, (s) => s.state === 'synced' && s.accountStatus === 'active', 'healed');
      await waitForAccount(tb, 'yardstik', `${names[i]}@example.com`, (a) => a !== null, 'created after the key was fixed');
    }
    expect(linesOf(tb).some((l) => l.message === 'target access restored' && l.level === 'info')).toBe(true);
  });

  it('a permanent failure is retried on its own after sync.failedRetryMs', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], sync: { failedRetryMs: 1_000 } });
    const sim = tb.sims.get('yardstik')!;
    await injectFault(sim, { kind: 'status', status: 400, count: 1, method: 'POST' });
    const id = await createScimUser(tb, 'yardstik', okta.createUser(person('rejected')));
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'failed' && codeOf(s) === 'TARGET_REJECTED', 'failed with TARGET_REJECTED');
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'synced', 'retried after the backoff');
  });

  it('a restart with a fixed configuration retries the users that failed before', async () => {
    store = await openTestStore(kind);
    tb = await startTestBridge({ store, types: ['yardstik'], targets: { yardstik: { apiKey: 'a-wrong-api-key' } } });
    const id = await createScimUser(tb, 'yardstik', okta.createUser(person('restart')));
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'failed' && codeOf(s) === 'TARGET_AUTH', 'failed with the wrong key');
    await tb.close();
    tb = await startTestBridge({ store, types: ['yardstik'] });
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'synced' && s.accountStatus === 'active', 'converged after the restart');
    expect(linesOf(tb).some((l) => l.message === 'retrying failed users' && l.reason === 'start')).toBe(true);
  });
});
