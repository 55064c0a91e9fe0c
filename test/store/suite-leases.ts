import { describe, expect, it } from 'vitest';
import type { ClaimedJob, SyncState } from '../../src/directory/store.js';
import { eventually } from '../helpers/bridge.js';
import { claim, createUsers, ctx, newConnection, userInput, withSkewedClock, type SuiteContext } from './fixtures.js';

const TEN_MINUTES = 10 * 60_000;

/**
 * Job leases across replicas: on the database's clock (a replica whose clock runs ahead or
 * behind neither steals a live lease nor loses its own), renewed by lease token, and fencing:
 * a worker that lost its lease can neither complete, retry, nor overwrite the job's sync state.
 */
export function leaseTests(t: SuiteContext): void {
  describe('job leases', () => {
    it('takes over no live lease when the caller\'s clock runs ahead', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 1);
      expect(await t.store().claimJobs(conn, claim('w1'))).toHaveLength(1);
      expect(await withSkewedClock(TEN_MINUTES, () => t.other().claimJobs(conn, claim('w2')))).toEqual([]);
    });

    it('keeps a lease its full length when the claimer\'s clock runs behind', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 1);
      expect(await withSkewedClock(-TEN_MINUTES, () => t.other().claimJobs(conn, claim('w1')))).toHaveLength(1);
      expect(await t.store().claimJobs(conn, claim('w2'))).toEqual([]);
    });

    it('makes a job written on a clock that runs ahead due at once', async () => {
      const conn = newConnection();
      await withSkewedClock(TEN_MINUTES, () => createUsers(t.other(), conn, 1));
      expect(await t.store().claimJobs(conn, claim('w1'))).toHaveLength(1);
    });

    it('renews by lease token, so a live worker keeps its job and a dead one loses it', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 2);
      const [a] = await t.store().claimJobs(conn, claim('w1', 300, 1));
      const [b] = await t.store().claimJobs(conn, claim('w1', 300, 1));
      expect(await t.store().renewLeases(conn, [a!.leaseToken], 60_000)).toBe(1);
      expect(await t.store().renewLeases(conn, ['not-a-token'], 60_000)).toBe(0);
      expect(await t.store().renewLeases(conn, [], 60_000)).toBe(0);
      // Once b's lease ran out, only b (not renewed) can be taken over.
      const takenOver = await eventually(async () => {
        const jobs = await t.other().claimJobs(conn, claim('w2'));
        return jobs.length > 0 ? jobs : null;
      }, { what: 'the unrenewed lease to run out' });
      expect(takenOver.map((j) => j.userId)).toEqual([b!.userId]);
    });

    it('reports when the lease runs out, on the database\'s clock', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 1);
      const before = Date.now();
      const [job] = await withSkewedClock(TEN_MINUTES, () => t.store().claimJobs(conn, claim('w1', 5_000)));
      expect(job!.leaseUntil).toBeGreaterThanOrEqual(before + 5_000 - 50);
      expect(job!.leaseUntil).toBeLessThanOrEqual(Date.now() + 5_000 + 50);
    });

    it('lets a newer write skip the backoff of the attempt in flight', async () => {
      const conn = newConnection();
      const [a] = (await createUsers(t.store(), conn, 1)) as [string];
      const [job] = await t.store().claimJobs(conn, claim('w1'));
      await t.store().replaceUser(conn, a, userInput('user00000@example.com'), {}, ctx('newer'));
      await t.store().retryJob(job!, { delayMs: TEN_MINUTES, lastError: 'TARGET_UNAVAILABLE: 503' });
      expect((await t.store().claimJobs(conn, claim('w2'))).map((j) => j.userId)).toEqual([a]);
    });

    it('fences completion and retry: a run that lost its lease changes nothing, even on the same worker', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 1);
      const [stale] = await t.store().claimJobs(conn, claim('w1', 50));
      const fresh = await eventually(async () => (await t.store().claimJobs(conn, claim('w1')))[0], { what: 'the lease to run out' });
      expect(await t.store().completeJob(stale as ClaimedJob)).toBe(false);
      expect(await t.store().retryJob(stale as ClaimedJob, { delayMs: 0, lastError: 'stale' })).toBe(false);
      const [row] = await t.store().listJobs(conn);
      expect(row).toMatchObject({ attempts: 0, lastError: null });
      expect(await t.other().claimJobs(conn, claim('w2'))).toEqual([]);
      expect(await t.store().completeJob(fresh)).toBe(true);
    });

    it('refuses the sync-state writes of a worker that lost its lease', async () => {
      const conn = newConnection();
      const [a] = (await createUsers(t.store(), conn, 1)) as [string];
      const [stale] = await t.store().claimJobs(conn, claim('w1', 50));
      const fresh = await eventually(async () => (await t.other().claimJobs(conn, claim('w2')))[0], { what: 'the lease to run out' });
      const state = (status: SyncState['status'], role: string): SyncState => ({
        connection: conn, userId: a, status, targetId: 't1', targetEmail: 'a@example.com', role, isManaged: true, accountStatus: 'active', lastError: null, lastSyncAt: 1, updatedAt: 1,
      });
      expect(await t.other().putSyncState(state('synced', 'new'), fresh)).toBe(true);
      expect(await t.store().putSyncState(state('failed', 'old'), stale!)).toBe(false);
      expect(await t.store().deleteSyncState(conn, a, stale!)).toBe(false);
      expect((await t.store().getSyncStates(conn, [a]))[0]).toMatchObject({ status: 'synced', role: 'new' });
      // Once the job is done, no lease holds it any more: nothing fenced is written either.
      expect(await t.other().completeJob(fresh)).toBe(true);
      expect(await t.other().putSyncState(state('failed', 'late'), fresh)).toBe(false);
      expect(await t.other().deleteSyncState(conn, a, fresh)).toBe(false);
      expect(await t.other().deleteSyncState(conn, a)).toBe(true);
      expect(await t.store().getSyncStates(conn, [a])).toEqual([]);
    });
  });
}
