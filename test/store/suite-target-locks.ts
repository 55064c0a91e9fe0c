import { describe, expect, it } from 'vitest';
import type { BridgeError } from '../../src/errors.js';
import { unlinkSharedTargets } from '../../src/directory/migrations.js';
import { postgresDialect, sqliteDialect } from '../../src/directory/sql/dialect.js';
import { SqlStore } from '../../src/directory/sql/sql-store.js';
import { raw } from '../../src/directory/sql/sql.js';
import { exec } from '../../src/directory/sql/tx.js';
import type { ClaimedJob, SyncState } from '../../src/directory/store.js';
import { eventually } from '../helpers/bridge.js';
import { claim, createUsers, ctx, expectCode, newConnection, userInput, type SuiteContext } from './fixtures.js';

const linked = (connection: string, userId: string, targetId: string | null, extra: Partial<SyncState> = {}): SyncState => ({
  connection,
  userId,
  status: 'synced',
  targetId,
  targetEmail: 'Shared@Example.com',
  role: 'db_viewer',
  isManaged: true,
  accountStatus: 'active',
  lastError: null,
  lastSyncAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  ...extra,
});

/** Strict mode's user leases, target-key locks, and one link per target account. */
export function targetLockTests(t: SuiteContext): void {
  describe('user leases and target locks', () => {
    it('leases a user with no job by creating its row, and a second lease waits until it is given back', async () => {
      const conn = newConnection();
      const lease = await t.store().leaseJob(conn, 'u-new', { workerId: 'strict-a', leaseMs: 60_000 });
      expect(lease).toMatchObject({ userId: 'u-new', workerId: 'strict-a', isNew: true, generation: 1 });
      expect(await t.store().leaseJob(conn, 'u-new', { workerId: 'strict-b', leaseMs: 60_000 })).toBeNull();
      expect(await t.other().leaseJob(conn, 'u-new', { workerId: 'replica-2', leaseMs: 60_000 })).toBeNull();
      // A worker cannot claim it either.
      expect(await t.store().claimJobs(conn, claim('worker'))).toEqual([]);
      // Completing an unchanged new lease removes the row; nothing is left to converge.
      expect(await t.store().completeJob(lease!)).toBe(true);
      expect(await t.store().listJobs(conn)).toEqual([]);
    });

    it('leases an existing job only when no lease on it is live, and gives it back unchanged', async () => {
      const conn = newConnection();
      const [a] = (await createUsers(t.store(), conn, 1)) as [string];
      await t.store().claimJobs(conn, claim('worker', 300));
      expect(await t.store().leaseJob(conn, a, { workerId: 'strict', leaseMs: 60_000 })).toBeNull();
      // The worker's lease runs out (a dead replica): strict mode may take it then.
      let lease: ClaimedJob | null = null;
      await eventually(async () => (lease = await t.store().leaseJob(conn, a, { workerId: 'strict', leaseMs: 60_000 })) !== null, { timeoutMs: 5_000, what: 'the lapsed lease taken' });
      expect(lease).toMatchObject({ userId: a, isNew: false, generation: 1 });
      const before = (await t.store().listJobs(conn))[0]!;
      await t.store().releaseJob(lease!);
      expect((await t.store().listJobs(conn))[0]).toEqual(before);
      expect((await t.store().claimJobs(conn, claim('worker'))).map((j) => j.userId)).toEqual([a]);
    });

    it('postpones a released job, unless a newer change arrived meanwhile', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      const now = Date.now();
      const claimed = await t.store().claimJobs(conn, claim('w'));
      await t.store().replaceUser(conn, b, userInput('user00001@example.com'), {}, ctx('newer'));
      for (const job of claimed) await t.store().releaseJob(job, 30_000);
      const jobs = new Map((await t.store().listJobs(conn)).map((j) => [j.userId, j]));
      expect(jobs.get(a)).toMatchObject({ attempts: 0, lastError: null });
      // Due in 30 s on the database's clock (the same machine's here, give or take a second).
      expect(jobs.get(a)!.availableAt).toBeGreaterThan(now + 29_000);
      expect(jobs.get(b)!.availableAt).toBeLessThanOrEqual(now + 1_000);
      expect((await t.store().claimJobs(conn, claim('w2'))).map((j) => j.userId)).toEqual([b]);
    });

    it('locks target keys for a leased job; another job sees who holds them until the lease ends', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 2);
      // A's lease is short, B's long: a lock is only taken while its own job's lease is live.
      const [jobA] = (await t.store().claimJobs(conn, claim('w1', 1_500, 1))) as [ClaimedJob];
      const [jobB] = (await t.store().claimJobs(conn, claim('w1', 60_000, 1))) as [ClaimedJob];
      const a = jobA.userId;
      expect(await t.store().lockTargets(jobA, ['email:shared@example.com', 'id:7'])).toBeNull();
      expect(await t.store().lockTargets(jobA, ['email:shared@example.com', 'id:7'])).toBeNull();
      expect(await t.other().lockTargets(jobB, ['email:other@example.com', 'id:7'])).toBe(a);
      expect(await t.store().lockTargets(jobB, ['email:other@example.com'])).toBeNull();
      // A re-lock with other keys lets the old ones go.
      expect(await t.store().lockTargets(jobA, ['email:renamed@example.com'])).toBeNull();
      expect(await t.store().lockTargets(jobB, ['id:7'])).toBeNull();
      // A lock lapses with its lease: past A's lease, B takes A's key.
      expect(await t.store().lockTargets(jobB, ['email:renamed@example.com'])).toBe(a);
      await eventually(async () => (await t.store().lockTargets(jobB, ['email:renamed@example.com'])) === null, { timeoutMs: 5_000, what: "A's key lapsed with its lease" });
    });

    it('takes no key for a job whose lease lapsed, and drops none of the new holder\'s', async () => {
      const conn = newConnection();
      const [a] = (await createUsers(t.store(), conn, 1)) as [string];
      const [stalled] = (await t.store().claimJobs(conn, claim('w-stalled', 200))) as [ClaimedJob];
      const [b] = (await createUsers(t.store(), conn, 1, 'other')) as [string];
      const jobs: ClaimedJob[] = [];
      await eventually(async () => (jobs.push(...(await t.store().claimJobs(conn, claim('w-new')))), jobs.some((j) => j.userId === a)), { timeoutMs: 5_000, what: 'the stalled lease taken over' });
      const taken = jobs.find((j) => j.userId === a)!;
      const other = jobs.find((j) => j.userId === b)!;
      expect(await t.store().lockTargets(taken, ['email:a@example.com', 'id:1'])).toBeNull();
      // The stalled run wakes up: no key of its own, none it wants, and the new holder's stay.
      expect(await t.store().lockTargets(stalled, ['email:stale@example.com'])).not.toBeNull();
      expect(await t.store().lockTargets(stalled, ['email:a@example.com'])).not.toBeNull();
      expect(await t.store().lockTargets(stalled, [])).toBeNull();
      expect(await t.store().lockTargets(other, ['email:stale@example.com'])).toBeNull();
      expect(await t.store().lockTargets(other, ['id:1'])).toBe(a);
      expect(await t.store().lockTargets(other, ['email:a@example.com'])).toBe(a);
    });

    it('locks and reads the states that claim an email in one unit, only once the keys are the job\'s', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      const jobs = await t.store().claimJobs(conn, claim('w1'));
      const jobA = jobs.find((j) => j.userId === a)!;
      const jobB = jobs.find((j) => j.userId === b)!;
      await t.store().putSyncState(linked(conn, b, null, { status: 'pending', accountStatus: 'absent' }));
      await t.store().putSyncState(linked(conn, 'gone', null, { status: 'failed', targetEmail: 'other@example.com', accountStatus: 'absent' }));
      const work = () => (t.store() instanceof SqlStore ? { ...(t.store() as SqlStore).work } : null);
      const before = work();
      const locked = await t.store().lockTargetsAndClaims(jobA, ['email:shared@example.com'], 'SHARED@example.com');
      const after = work();
      expect(locked).toEqual({ holder: null, claims: [linked(conn, b, null, { status: 'pending', accountStatus: 'absent' })] });
      // One unit of work: on PostgreSQL one statement, on SQLite one transaction.
      if (before && after) expect(after.commits - before.commits).toBe(1);
      if (before && after && t.store() instanceof SqlStore && (t.store() as SqlStore).dialect === 'postgres') expect(after.roundTrips - before.roundTrips).toBe(1);
      expect(await t.store().lockTargetsAndClaims(jobA, ['email:nobody@example.com'], 'nobody@example.com')).toEqual({ holder: null, claims: [] });
      // Another job holds a key: its holder, and no states.
      expect(await t.store().lockTargets(jobA, ['email:shared@example.com'])).toBeNull();
      expect(await t.store().lockTargetsAndClaims(jobB, ['email:shared@example.com'], 'shared@example.com')).toEqual({ holder: a, claims: [] });
    });

    it('frees a job\'s keys when it is completed, retried or released', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      const take = async (workerId: string): Promise<[ClaimedJob, ClaimedJob]> => {
        const jobs = await t.store().claimJobs(conn, claim(workerId));
        return [jobs.find((j) => j.userId === a)!, jobs.find((j) => j.userId === b)!];
      };
      let [jobA, jobB] = await take('w1');
      expect(await t.store().lockTargets(jobA, ['k'])).toBeNull();
      expect(await t.store().lockTargets(jobB, ['k'])).toBe(a);
      await t.store().retryJob(jobA, { delayMs: 0, lastError: 'test' });
      expect(await t.store().lockTargets(jobB, ['k'])).toBeNull();
      await t.store().releaseJob(jobB);
      [jobA, jobB] = await take('w2');
      expect(await t.store().lockTargets(jobA, ['k'])).toBeNull();
      await t.store().completeJob(jobA);
      expect(await t.store().lockTargets(jobB, ['k'])).toBeNull();
      expect(await t.store().lockTargets(jobB, [])).toBeNull();
    });
  });

  describe('one account, one person', () => {
    it('finds states by target email case-insensitively and refuses a second link to one account', async () => {
      const conn = newConnection();
      await t.store().putSyncState(linked(conn, 'u1', 't-1'));
      await t.store().putSyncState(linked(conn, 'u2', null, { targetEmail: 'shared@EXAMPLE.com', status: 'failed', accountStatus: 'absent' }));
      await t.store().putSyncState(linked(conn, 'u3', 't-3', { targetEmail: 'else@example.com' }));
      expect((await t.store().findSyncStatesByTargetEmail(conn, 'SHARED@example.com')).map((s) => s.userId)).toEqual(['u1', 'u2']);
      expect(await t.store().findSyncStatesByTargetEmail(conn, 'nobody@example.com')).toEqual([]);
      const error = await expectCode(t.store().putSyncState(linked(conn, 'u2', 't-1')), 'UNIQUENESS');
      expect((error as unknown as BridgeError).details.attribute).toBe('targetId');
      expect(await t.store().findSyncStateByTarget(conn, 't-1')).toMatchObject({ userId: 'u1' });
      // The same user keeps writing its own link; other connections are apart.
      await t.store().putSyncState(linked(conn, 'u1', 't-1', { role: 'admin' }));
      await t.store().putSyncState(linked(newConnection(), 'u2', 't-1'));
    });

    it('on upgrade, keeps the link of the user created first and queues the others', async () => {
      const store = t.store();
      if (!(store instanceof SqlStore)) return;
      const conn = newConnection();
      const [first, second, third] = (await createUsers(store, conn, 3)) as [string, string, string];
      for (const job of await store.claimJobs(conn, claim('w'))) await store.completeJob(job);
      const d = store.dialect === 'postgres' ? postgresDialect : sqliteDialect;
      // The database as a release before the unique index left it: three users on account t-1.
      await store.loadInTransaction((run) => run(exec(raw('DROP INDEX sync_state_target_key'))));
      try {
        for (const id of [third, second, first]) await store.putSyncState(linked(conn, id, 't-1'));
        await store.putSyncState(linked(conn, 'orphan', 't-1'));
        await store.loadInTransaction(async (run) => {
          for (const statement of unlinkSharedTargets(d, 1_800_000_000_000)) await run(exec(raw(statement)));
        });
      } finally {
        await store.loadInTransaction((run) => run(exec(raw('CREATE UNIQUE INDEX sync_state_target_key ON sync_state (connection, target_id) WHERE target_id IS NOT NULL'))));
      }
      const states = new Map((await store.listSyncStates(conn)).map((s) => [s.userId, s]));
      // Created first, ties broken by user id; a state without a user comes last.
      const users = await Promise.all([first, second, third].map(async (id) => ({ id, created: (await store.getUser(conn, id))!.created })));
      const [keeper, ...others] = users.sort((x, y) => x.created - y.created || (x.id < y.id ? -1 : 1)).map((u) => u.id) as [string, ...string[]];
      expect(states.get(keeper)).toMatchObject({ targetId: 't-1', status: 'synced', isManaged: true });
      for (const id of [...others, 'orphan']) {
        expect(states.get(id)).toMatchObject({ targetId: null, status: 'failed', isManaged: false, accountStatus: 'absent', lastError: { code: 'TARGET_CONFLICT' } });
      }
      // The unlinked users that exist run again, to report who holds the account.
      expect((await store.listJobs(conn)).map((j) => j.userId).sort()).toEqual([...others].sort());
    });
  });
}
