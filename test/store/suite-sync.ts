import { describe, expect, it } from 'vitest';
import type { SyncState } from '../../src/directory/store.js';
import { claim, createUsers, ctx, expectCode, newConnection, userInput, type SuiteContext } from './fixtures.js';

const state = (connection: string, userId: string, extra: Partial<SyncState> = {}): SyncState => ({
  connection,
  userId,
  status: 'synced',
  targetId: `t-${userId}`,
  targetEmail: `${userId}@example.com`,
  role: 'Member',
  isManaged: true,
  accountStatus: 'active',
  lastError: null,
  lastSyncAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_001,
  ...extra,
});

/** Sync state, audit log, exclusive locks, migrations. */
export function syncTests(t: SuiteContext): void {
  describe('sync state and audit', () => {
    it('stores, replaces, finds, pages and deletes sync states', async () => {
      const conn = newConnection();
      await t.store().putSyncState(state(conn, 'u1'));
      await t.store().putSyncState(state(conn, 'u2', { status: 'failed', targetId: null, isManaged: false, lastError: { code: 'TARGET_REJECTED', message: 'bad email' }, lastSyncAt: null }));
      await t.store().putSyncState(state(conn, 'u1', { role: 'Owner', accountStatus: 'invited' }));
      expect(await t.store().getSyncStates(conn, ['u1', 'u2', 'u3'])).toEqual([
        state(conn, 'u1', { role: 'Owner', accountStatus: 'invited' }),
        state(conn, 'u2', { status: 'failed', targetId: null, isManaged: false, lastError: { code: 'TARGET_REJECTED', message: 'bad email' }, lastSyncAt: null }),
      ]);
      expect(await t.store().findSyncStateByTarget(conn, 't-u1')).toMatchObject({ userId: 'u1' });
      expect(await t.store().findSyncStateByTarget(conn, 'nope')).toBeNull();
      expect((await t.store().listSyncStates(conn, { limit: 1 })).map((s) => s.userId)).toEqual(['u1']);
      expect((await t.store().listSyncStates(conn, { afterUserId: 'u1' })).map((s) => s.userId)).toEqual(['u2']);
      await t.store().deleteSyncState(conn, 'u1');
      expect((await t.store().listSyncStates(conn)).map((s) => s.userId)).toEqual(['u2']);
      expect(await t.store().getSyncStates(conn, [])).toEqual([]);
    });

    it('keeps the warnings of a run, and drops them when the next run has none', async () => {
      const conn = newConnection();
      const warnings = ['roles: "Astronaut" is not a role of this target (see /Roles); ignored', 'roles: "Pilot" is not a role of this target (see /Roles); ignored'];
      await t.store().putSyncState(state(conn, 'u1', { warnings }));
      expect((await t.store().getSyncStates(conn, ['u1']))[0]?.warnings).toEqual(warnings);
      expect((await t.store().listSyncStates(conn))[0]?.warnings).toEqual(warnings);
      await t.store().putSyncState(state(conn, 'u1'));
      expect(await t.store().getSyncStates(conn, ['u1'])).toEqual([state(conn, 'u1')]);
    });

    it('lists only the sync states of one status, paged by user id', async () => {
      const conn = newConnection();
      const other = newConnection();
      const failed = { code: 'TARGET_AUTH', message: '401' };
      for (const id of ['a', 'b', 'c', 'd', 'e']) {
        await t.store().putSyncState(state(conn, id, id === 'b' || id === 'd' ? {} : { status: 'failed', lastError: failed }));
      }
      await t.store().putSyncState(state(other, 'a', { status: 'failed', lastError: failed }));
      const ids = async (options: Parameters<ReturnType<SuiteContext['store']>['listSyncStates']>[1]) =>
        (await t.store().listSyncStates(conn, options)).map((s) => s.userId);
      expect(await ids({ status: 'failed' })).toEqual(['a', 'c', 'e']);
      expect(await ids({ status: 'failed', limit: 2 })).toEqual(['a', 'c']);
      expect(await ids({ status: 'failed', afterUserId: 'c' })).toEqual(['e']);
      expect(await ids({ status: 'synced' })).toEqual(['b', 'd']);
      expect(await ids({ status: 'held' })).toEqual([]);
      expect(await ids({})).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    it('summarises users, statuses and the most frequent errors', async () => {
      const conn = newConnection();
      const [a, b, c] = (await createUsers(t.store(), conn, 3)) as [string, string, string];
      await t.store().deleteUser(conn, c, {}, ctx());
      const boom = { code: 'TARGET_AUTH', message: '401' };
      await t.store().putSyncState(state(conn, a, { status: 'failed', lastError: boom }));
      await t.store().putSyncState(state(conn, b, { status: 'failed', lastError: boom }));
      await t.store().putSyncState(state(conn, c, { status: 'unsupported', accountStatus: 'absent', lastError: { code: 'UNSUPPORTED_OPERATION', message: 'no re-enable' } }));
      await t.store().putSyncState(state(conn, 'not-managed', { isManaged: false }));
      expect(await t.store().syncSummary(conn)).toEqual({
        connection: conn,
        users: 2,
        // a and b are managed and present; c's account is absent; one state is not managed.
        managed: 2,
        byStatus: { pending: 0, synced: 1, failed: 2, unsupported: 1, held: 0 },
        topErrors: [
          { code: 'TARGET_AUTH', message: '401', count: 2 },
          { code: 'UNSUPPORTED_OPERATION', message: 'no re-enable', count: 1 },
        ],
      });
    });

    it('loads what converging a user starts from in one read: user, state, groups', async () => {
      const conn = newConnection();
      const [id] = await createUsers(t.store(), conn, 1);
      const later = await t.store().createGroup(conn, { displayName: 'viewers', externalId: 'okta-9', attributes: {}, members: [id!] }, ctx());
      const group = await t.store().createGroup(conn, { displayName: 'Admins', externalId: null, attributes: {}, members: [id!] }, ctx());
      await t.store().putSyncState(state(conn, id!));
      const loaded = await t.store().loadSyncInput(conn, id!);
      expect(loaded.user?.id).toBe(id);
      expect(loaded.state).toEqual(state(conn, id!));
      // By name, case-insensitively.
      expect(loaded.groups).toEqual([
        { userId: id, groupId: group.id, displayName: 'Admins', externalId: null },
        { userId: id, groupId: later.id, displayName: 'viewers', externalId: 'okta-9' },
      ]);
      await t.store().deleteUser(conn, id!, {}, ctx());
      expect(await t.store().loadSyncInput(conn, id!)).toMatchObject({ user: { id, deleted: true }, state: state(conn, id!), groups: [] });
      expect(await t.store().loadSyncInput(conn, 'nobody')).toEqual({ user: null, state: null, groups: [] });
      // A state whose user is gone from the store (purged) still loads.
      await t.store().putSyncState(state(conn, 'purged'));
      expect(await t.store().loadSyncInput(conn, 'purged')).toEqual({ user: null, state: state(conn, 'purged'), groups: [] });
    });

    it('reads several users by id in one read, tombstones included, absent ones left out', async () => {
      const conn = newConnection();
      const [a, b, c] = (await createUsers(t.store(), conn, 3)) as [string, string, string];
      await t.store().deleteUser(conn, b, {}, ctx());
      const found = await t.store().getUsers(conn, [a, b, 'nobody', a]);
      expect(found.map((u) => [u.id, u.deleted]).sort()).toEqual([[a, false], [b, true]].sort());
      expect(found.find((u) => u.id === a)).toEqual(await t.store().getUser(conn, a, { includeDeleted: true }));
      expect(await t.store().getUsers(conn, [])).toEqual([]);
      expect(await t.store().getUsers(newConnection(), [c])).toEqual([]);
    });

    it('reads each claimed job\'s sync input with the claim, as loadSyncInput reads it', async () => {
      const conn = newConnection();
      const [grouped, plain, gone, stated] = (await createUsers(t.store(), conn, 4)) as [string, string, string, string];
      await t.store().createGroup(conn, { displayName: 'viewers', externalId: 'okta-9', attributes: {}, members: [grouped, gone] }, ctx());
      await t.store().createGroup(conn, { displayName: 'Admins', externalId: null, attributes: {}, members: [grouped, stated] }, ctx());
      await t.store().putSyncState(state(conn, stated, { role: 'admin' }));
      await t.store().putSyncState(state(conn, gone));
      await t.store().deleteUser(conn, gone, {}, ctx());
      // One of each: groups in name order, none, a tombstone (its groups dropped), a state.
      const claimed = await t.store().claimJobs(conn, claim('w1'));
      expect(claimed.map((job) => job.userId).sort()).toEqual([grouped, plain, gone, stated].sort());
      for (const job of claimed) expect({ userId: job.userId, input: job.input }).toEqual({ userId: job.userId, input: await t.store().loadSyncInput(conn, job.userId) });
      expect(claimed.find((job) => job.userId === grouped)?.input?.groups.map((g) => g.displayName)).toEqual(['Admins', 'viewers']);
      expect(claimed.find((job) => job.userId === gone)?.input).toMatchObject({ user: { id: gone, deleted: true }, state: state(conn, gone), groups: [] });
    });

    it('records a run in one transaction: state under the lease, audit always, the job completed on request', async () => {
      const conn = newConnection();
      const [a, b, c] = await createUsers(t.store(), conn, 3);
      const jobs = await t.store().claimJobs(conn, claim('w1'));
      const job = (id: string) => jobs.find((j) => j.userId === id)!;
      const audit = (userId: string) => (isCurrent: boolean) => ({ at: 1_900_000_000_000, connection: conn, userId, requestIds: [], decision: { isCurrent } });
      expect(await t.store().recordRun(job(a!), { state: state(conn, a!), audit: audit(a!), complete: true })).toEqual({ isCurrent: true, isCompleted: true });
      expect(await t.store().recordRun(job(b!), { state: state(conn, b!), audit: audit(b!), complete: false })).toEqual({ isCurrent: true, isCompleted: false });
      expect((await t.store().listJobs(conn)).map((j) => j.userId).sort()).toEqual([b, c].sort());
      // A lease another worker took over: no state, the audit still written, nothing completed.
      await t.store().releaseJob(job(c!));
      const [taken] = await t.store().claimJobs(conn, claim('w2'));
      expect(taken?.userId).toBe(c);
      expect(await t.store().recordRun(job(c!), { state: state(conn, c!), audit: audit(c!), complete: true })).toEqual({ isCurrent: false, isCompleted: false });
      expect(await t.store().getSyncStates(conn, [c!])).toEqual([]);
      expect((await t.store().listAudit({ connection: conn })).map((r) => [r.userId, r.decision.isCurrent]).sort()).toEqual([[a, true], [b, true], [c, false]].sort());
      // A link another state holds: UNIQUENESS, and nothing of the run is written.
      await expectCode(t.store().recordRun(taken!, { state: state(conn, c!, { targetId: `t-${a!}` }), audit: audit(c!), complete: true }), 'UNIQUENESS');
      expect(await t.store().getSyncStates(conn, [c!])).toEqual([]);
      expect(await t.store().listAudit({ connection: conn, userId: c! })).toHaveLength(1);
      expect((await t.store().listJobs(conn)).map((j) => j.userId)).toContain(c);
    });

    it('records a completed run whose user changed while it ran: the state is written, the job stays due with its lease freed', async () => {
      const conn = newConnection();
      const [a] = (await createUsers(t.store(), conn, 1)) as [string];
      const [job] = await t.store().claimJobs(conn, claim('w1'));
      await t.store().replaceUser(conn, a, userInput('changed@example.com'), {}, ctx('newer'));
      const audit = (isCurrent: boolean) => ({ at: 1_900_000_000_000, connection: conn, userId: a, requestIds: [], decision: { isCurrent } });
      expect(await t.store().recordRun(job!, { state: state(conn, a), audit, complete: true })).toEqual({ isCurrent: true, isCompleted: false });
      expect(await t.store().getSyncStates(conn, [a])).toEqual([state(conn, a)]);
      expect((await t.store().listAudit({ connection: conn, userId: a })).map((r) => r.decision.isCurrent)).toEqual([true]);
      // Due now, free to claim at once by anyone, with the newer generation.
      const [again] = await t.store().claimJobs(conn, claim('w2'));
      expect(again).toMatchObject({ userId: a, generation: job!.generation + 1 });
    });

    it('queues a run\'s notifications in its transaction: with the state, or not at all', async () => {
      const conn = newConnection();
      const webhook = `hook-${conn}`;
      const [a, b, c] = await createUsers(t.store(), conn, 3);
      const jobs = await t.store().claimJobs(conn, claim('w1'));
      const job = (id: string) => jobs.find((j) => j.userId === id)!;
      const audit = (userId: string) => () => ({ at: 1_900_000_000_000, connection: conn, userId, requestIds: [], decision: {} });
      const note = (userId: string) => [{ id: `${webhook}:${userId}`, webhook, event: { kind: 'failed', connection: conn, userId, message: 'TARGET_AUTH' } }];
      const queued = async (): Promise<number> => (await t.store().notificationStats()).find((s) => s.webhook === webhook)?.pending ?? 0;

      expect(await t.store().recordRun(job(a!), { state: state(conn, a!, { status: 'failed' }), audit: audit(a!), complete: false, notifications: note(a!) })).toEqual({ isCurrent: true, isCompleted: false });
      expect(await queued()).toBe(1);
      expect((await t.store().claimNotifications(webhook, { limit: 10, leaseMs: 60_000 })).map((n) => n.event.userId)).toEqual([a]);
      // The lease was lost: no state, so no notification either.
      await t.store().releaseJob(job(b!));
      await t.store().claimJobs(conn, claim('w2'));
      expect(await t.store().recordRun(job(b!), { state: state(conn, b!, { status: 'failed' }), audit: audit(b!), complete: false, notifications: note(b!) })).toEqual({ isCurrent: false, isCompleted: false });
      expect(await t.store().getSyncStates(conn, [b!])).toEqual([]);
      // A link another state holds: UNIQUENESS, and neither the state nor the notification is written.
      await t.store().putSyncState(state(conn, a!, { targetId: `t-${a!}` }));
      await expectCode(t.store().recordRun(job(c!), { state: state(conn, c!, { targetId: `t-${a!}`, status: 'failed' }), audit: audit(c!), complete: false, notifications: note(c!) }), 'UNIQUENESS');
      expect(await t.store().getSyncStates(conn, [c!])).toEqual([]);
      expect(await queued()).toBe(1);
    });

    it('appends, lists and purges audit records', async () => {
      const conn = newConnection();
      const base = 1_800_000_000_000;
      await t.store().appendAudit([
        { at: base, connection: conn, userId: 'u1', requestIds: ['r1'], decision: { action: 'create', rule: { group: 'Admins' } } },
        { at: base + 10, connection: conn, userId: 'u2', requestIds: [], decision: { action: 'none' } },
        { at: base + 20, connection: conn, userId: 'u1', requestIds: ['r2', 'r3'], decision: { action: 'update' } },
      ]);
      await t.store().appendAudit([]);
      const all = await t.store().listAudit({ connection: conn });
      expect(all.map((r) => r.at)).toEqual([base + 20, base + 10, base]);
      expect(all[2]).toMatchObject({ userId: 'u1', requestIds: ['r1'], decision: { action: 'create', rule: { group: 'Admins' } } });
      expect(typeof all[0]?.id).toBe('number');
      expect((await t.store().listAudit({ connection: conn, userId: 'u1', since: base + 5 })).map((r) => r.requestIds)).toEqual([['r2', 'r3']]);
      expect(await t.store().listAudit({ connection: conn, limit: 1 })).toHaveLength(1);
      expect(await t.store().purgeAudit(base + 15)).toBe(2);
      expect((await t.store().listAudit({ connection: conn })).map((r) => r.at)).toEqual([base + 20]);
    });
  });

  describe('coordination', () => {
    it('runs a named lock exclusively and skips a second holder', async () => {
      let release!: () => void;
      let entered!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const holder = t.store().withExclusiveLock('reconcile', async () => {
        entered();
        await gate;
        return 'done';
      });
      await inside;
      expect(await t.store().withExclusiveLock('reconcile', async () => 'second')).toBeUndefined();
      if (t.store().dialect === 'postgres') expect(await t.other().withExclusiveLock('reconcile', async () => 'other')).toBeUndefined();
      expect(await t.store().withExclusiveLock('another-lock', async () => 'free')).toBe('free');
      release();
      expect(await holder).toBe('done');
      expect(await t.other().withExclusiveLock('reconcile', async () => 'after')).toBe('after');
      await expect(t.store().withExclusiveLock('reconcile', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await t.store().withExclusiveLock('reconcile', async () => 'released')).toBe('released');
    });

    it('migrates again safely, concurrently, and answers ping', async () => {
      await Promise.all([t.store().migrate(), t.other().migrate(), t.store().migrate()]);
      await t.store().ping();
    });
  });
}
