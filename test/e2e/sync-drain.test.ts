import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/directory/store.js';
import * as okta from '../fixtures/okta/requests.js';
import { openTestStore, startTestBridge, type StoreKind, type TestBridge, type TestStore } from '../helpers/bridge.js';
import { createScimUser, person } from './sync-helpers.js';

/**
 * `engine.drain` (what `scim-bridge sync` runs) ends only when no job it can run is left: a job put
 * back because another job holds its target account runs in the same drain, even when the
 * database's clock makes it due a little later than the host's timer says. It still ends when
 * what is left waits for a person (held) or for the long backoff.
 */

const RE = 'redis-enterprise' as const;
/** How far the database's clock lags the host's in these tests: a put-back job is due this much later than the host expects. */
const LAG_MS = 300;

/**
 * The store, with a database clock that lags the host's by {@link LAG_MS}: a job put back for
 * `delayMs` is due that much later. `onPutBack` runs before each put-back of a job.
 */
function laggingStore(store: TestStore, onPutBack: (job: ClaimedJob) => Promise<void>): TestStore {
  const releaseJob = store.releaseJob.bind(store);
  return Object.assign(store, {
    releaseJob: async (job: ClaimedJob, delayMs?: number): Promise<void> => {
      if (delayMs !== undefined) await onPutBack(job);
      await releaseJob(job, delayMs === undefined ? undefined : delayMs + LAG_MS);
    },
  });
}

describe.each(['sqlite', 'postgres'] as const)('drain on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  let store: TestStore | undefined;
  afterEach(async () => {
    await tb?.close();
    await store?.close();
    tb = undefined;
    store = undefined;
  });

  /** A lease on another user's job that locks `email` in the target, as a job of another worker would. */
  async function lockEmail(email: string): Promise<ClaimedJob> {
    const holder = await store!.leaseJob(RE, 'another-user', { workerId: 'another-worker', leaseMs: 60_000 });
    expect(holder).not.toBeNull();
    expect(await store!.lockTargets(holder!, [`email:${email}`])).toBeNull();
    return holder!;
  }

  it('runs a job put back for a lock another job held, though the database makes it due later than the host timer', async () => {
    store = await openTestStore(kind);
    const holder = await lockEmail('ada@example.com');
    const putBacks: string[] = [];
    laggingStore(store, async (job) => {
      putBacks.push(job.userId);
      // The other job is done with the account now: the put-back job can run as soon as it is due.
      await store!.completeJob(holder);
    });
    tb = await startTestBridge({ store, types: [RE], runWorkers: false, engine: { busyRetryMs: 20 } });
    const ada = await createScimUser(tb, RE, okta.createUser(person('ada')));

    const ran = await tb.bridge.engine.drain([RE]);

    expect(putBacks).toEqual([ada]);
    expect(ran).toBe(1);
    expect((await store.listJobs(RE)).map((job) => job.userId)).not.toContain(ada);
    expect((await store.getSyncStates(RE, [ada]))[0]).toMatchObject({ status: 'synced' });
  });

  it('ends when the put-back job is held meanwhile, instead of waiting for it', async () => {
    store = await openTestStore(kind);
    await lockEmail('bob@example.com');
    laggingStore(store, async (job) => {
      // Held for approval under its lease as it is put back (holds are fenced by the lease): nobody can run it now.
      expect(await store!.holdJob(job, 'held by the test')).toBe('held');
    });
    tb = await startTestBridge({ store, types: [RE], runWorkers: false, engine: { busyRetryMs: 20 } });
    const bob = await createScimUser(tb, RE, okta.createUser(person('bob')));

    expect(await tb.bridge.engine.drain([RE])).toBe(0);

    expect(await store.listJobs(RE, { held: true })).toEqual([expect.objectContaining({ userId: bob, heldReason: 'held by the test' })]);
  });
});
