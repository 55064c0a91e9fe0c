import type { GroupChange, GroupInput, GroupRecord, JobReason, ListPage, ListQuery, UserGroupRef, UserInput, UserRecord, WriteContext, WriteOptions } from '../model.js';
import type { LockPurpose, StoreLock } from '../store-lock.js';
import type {
  AuditRecord, ClaimedJob, ClaimedNotification, NotificationClaim, NotificationInput, NotificationRetry, NotificationStats, ClaimOptions, HoldOutcome, JobLease, JobRow, JobStats,
  LeasedJob, LeaseOptions, RetryOptions, RunRecord, Store, SyncInput, SyncState, SyncStatePage, SyncSummary, TargetLock, UnmanagedReport, UnmanagedReportInput,
} from '../store.js';
import type { SlidingWindow, TokenBucket, WindowCount } from '../coordination.js';
import { isBridgeError } from '../../errors.js';
import * as coord from './coord-ops.js';
import type { Dialect } from './dialect.js';
import * as groups from './group-ops.js';
import * as jobs from './job-ops.js';
import * as leases from './lease-ops.js';
import { isLookup, listGroups, listUsers, usersWithRelations, withRelations } from './list-ops.js';
import * as notify from './notify-ops.js';
import { groupsOfUsers } from './member-ops.js';
import { sql } from './sql.js';
import * as sync from './sync-ops.js';
import * as unmanaged from './unmanaged-ops.js';
import { first, type Tx } from './tx.js';
import * as users from './user-ops.js';

/**
 * How a unit of work runs: `read` only reads (on PostgreSQL each statement sees its own
 * snapshot); `snapshot` reads with statements that must agree, such as a list page cut by its
 * count, in one snapshot on both databases; `lookup` reads with exactly one statement, which is
 * its own snapshot, so SQLite runs it without BEGIN and COMMIT (a second statement is a
 * programming error and throws); `write` is one transaction (exclusive on SQLite);
 * `autocommit` writes with statements that each stand on their own (atomic, fenced by their own
 * conditions, nothing to undo if a later one fails): PostgreSQL runs them without BEGIN and
 * COMMIT, two round trips fewer; SQLite as a write.
 */
export type WorkMode = 'read' | 'snapshot' | 'lookup' | 'write' | 'autocommit';

/**
 * What a store has asked of its database so far: counts, never timings, so tests can hold the
 * work per job to a budget and benchmarks can print it.
 */
export interface StoreWork {
  /** Statements run (BEGIN, COMMIT and ROLLBACK not counted). */
  statements: number;
  /** Write transactions committed. */
  commits: number;
  /** Requests that waited for the database's answer: on PostgreSQL every statement, BEGIN, COMMIT and ROLLBACK; on SQLite (in process) the statements. */
  roundTrips: number;
}

/** Runs one unit of work inside a transaction that {@link SqlStore.loadInTransaction} holds open. */
export type TxRunner = <R>(work: Tx<R>) => Promise<R>;

/**
 * The {@link Store} both databases share: every method is one unit of work written once (in
 * the `*-ops.ts` modules); a subclass only says how to run a unit (connection, transaction,
 * error mapping) and how to migrate, lock and close.
 */
export abstract class SqlStore implements Store {
  abstract readonly dialect: 'sqlite' | 'postgres';
  /** Counted by the subclass as it runs units of work. */
  readonly work: StoreWork = { statements: 0, commits: 0, roundTrips: 0 };

  protected constructor(protected readonly d: Dialect) {}

  /** Runs a unit of work: a write in one transaction, a read on one connection. Maps driver errors. */
  protected abstract run<T>(mode: WorkMode, work: () => Tx<T>): Promise<T>;

  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;
  abstract lock(purpose: LockPurpose): Promise<StoreLock>;
  abstract withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;

  /**
   * Bulk copy only (`scim-bridge copy-store`), not for request paths: runs `load` in one write
   * transaction held open across its awaits, so the units it runs commit together or not at all.
   */
  abstract loadInTransaction<T>(load: (run: TxRunner) => Promise<T>): Promise<T>;

  /** Bulk copy only: runs a read unit of work over raw rows. */
  readRaw<T>(work: () => Tx<T>): Promise<T> {
    return this.run('read', work);
  }

  async ping(): Promise<void> {
    await this.run('lookup', () => first(sql`SELECT 1 AS ok`));
  }

  createUser(connection: string, input: UserInput, ctx: WriteContext): Promise<UserRecord> {
    // One statement where the database writes in WITH (user-ops.ts): atomic without a transaction.
    return this.run(this.d.writesInWith ? 'autocommit' : 'write', () => users.createUser(this.d, connection, input, ctx));
  }
  getUser(connection: string, id: string, options: { includeDeleted?: boolean; related?: boolean } = {}): Promise<(UserRecord & { deleted: boolean }) | null> {
    const d = this.d;
    // One statement unless the relations of a deleted user are asked for.
    const mode = options.related === true && options.includeDeleted === true ? 'read' : 'lookup';
    return this.run(mode, function* () {
      if (options.related === true && options.includeDeleted !== true) {
        const [found] = yield* usersWithRelations(d, connection, sql`u.connection = ${connection} AND u.id = ${id} AND u.deleted_at IS NULL`);
        return found ? { ...found, deleted: false } : null;
      }
      const user = yield* users.getUser(connection, id, options.includeDeleted === true);
      if (user === null || options.related !== true) return user;
      return (yield* withRelations(d, connection, [user]))[0] ?? null;
    });
  }
  getUsers(connection: string, ids: readonly string[]): Promise<(UserRecord & { deleted: boolean })[]> {
    return this.run('read', () => users.getUsers(this.d, connection, ids));
  }
  replaceUser(connection: string, id: string, input: UserInput, options: WriteOptions, ctx: WriteContext): Promise<UserRecord> {
    return this.run('write', () => users.replaceUser(this.d, connection, id, input, options, ctx));
  }
  deleteUser(connection: string, id: string, options: WriteOptions, ctx: WriteContext): Promise<void> {
    return this.run('write', () => users.deleteUser(this.d, connection, id, options, ctx));
  }
  listUsers(connection: string, query: ListQuery): Promise<ListPage<UserRecord>> {
    return this.run(isLookup(query) ? 'lookup' : 'snapshot', () => listUsers(this.d, connection, query));
  }
  purgeUser(connection: string, id: string): Promise<void> {
    return this.run('write', () => users.purgeUser(connection, id));
  }

  createGroup(connection: string, input: GroupInput, ctx: WriteContext): Promise<GroupRecord> {
    return this.run('write', () => groups.createGroup(this.d, connection, input, ctx));
  }
  getGroup(connection: string, id: string, options: { members?: boolean } = {}): Promise<GroupRecord | null> {
    return this.run('read', () => groups.getGroup(this.d, connection, id, options.members === true));
  }
  replaceGroup(connection: string, id: string, input: GroupInput, options: WriteOptions, ctx: WriteContext): Promise<GroupRecord> {
    return this.run('write', () => groups.replaceGroup(this.d, connection, id, input, options, ctx));
  }
  patchGroup(connection: string, id: string, change: GroupChange, options: WriteOptions, ctx: WriteContext): Promise<GroupRecord> {
    return this.run('write', () => groups.patchGroup(this.d, connection, id, change, options, ctx));
  }
  deleteGroup(connection: string, id: string, options: WriteOptions, ctx: WriteContext): Promise<void> {
    return this.run('write', () => groups.deleteGroup(this.d, connection, id, options, ctx));
  }
  listGroups(connection: string, query: ListQuery, options: { members?: boolean } = {}): Promise<ListPage<GroupRecord>> {
    return this.run('snapshot', () => listGroups(this.d, connection, query, options.members === true));
  }
  groupsOfUsers(connection: string, userIds: readonly string[]): Promise<UserGroupRef[]> {
    return this.run('read', () => groupsOfUsers(this.d, connection, userIds));
  }

  claimJobs(connection: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    return this.run('autocommit', () => sync.claimJobsWithInput(this.d, connection, options));
  }
  claimableIn(connection: string, userIds: readonly string[]): Promise<number | null> {
    return this.run('read', () => jobs.claimableIn(this.d, connection, userIds));
  }
  renewLeases(connection: string, leaseTokens: readonly string[], leaseMs: number): Promise<number> {
    return this.run('autocommit', () => jobs.renewLeases(this.d, connection, leaseTokens, leaseMs));
  }

  completeJob(job: ClaimedJob): Promise<boolean> {
    return this.run('write', () => jobs.completeJob(job));
  }
  retryJob(job: ClaimedJob, retry: RetryOptions): Promise<boolean> {
    return this.run('autocommit', () => jobs.retryJob(this.d, job, retry));
  }
  settlePending(job: ClaimedJob, handle: string): Promise<boolean> {
    return this.run('autocommit', () => jobs.settlePending(job, handle));
  }
  holdJob(job: ClaimedJob, reason: string): Promise<HoldOutcome> {
    return this.run('autocommit', () => jobs.holdJob(this.d, job, reason));
  }
  releaseJobs(connection: string, userIds?: readonly string[], options: { approvedBy?: string } = {}): Promise<number> {
    return this.run('write', () => jobs.releaseJobs(this.d, connection, userIds, options.approvedBy ?? null));
  }
  /** Only ids of users the connection has (live or tombstoned) are enqueued; returns how many. */
  enqueueJobs(connection: string, reason: JobReason | 'reconcile', userIds?: readonly string[], requestId?: string): Promise<number> {
    return this.run('write', () => jobs.enqueueUsers(this.d, connection, reason, userIds, requestId));
  }
  leaseJob(connection: string, userId: string, options: LeaseOptions): Promise<LeasedJob | null> {
    return this.run('write', () => leases.leaseJob(this.d, connection, userId, options)).catch((err: unknown) => {
      // Two replicas inserting the same user's row at once: the other one holds the lease.
      if (isBridgeError(err) && err.code === 'UNIQUENESS') return null;
      throw err;
    });
  }
  releaseJob(job: ClaimedJob, delayMs?: number): Promise<void> {
    return this.run('write', () => leases.releaseJob(this.d, job, delayMs));
  }
  lockTargets(job: ClaimedJob, keys: readonly string[]): Promise<string | null> {
    return this.run('autocommit', () => leases.lockTargets(this.d, job, keys));
  }
  lockTargetsAndClaims(job: ClaimedJob, keys: readonly string[], email: string): Promise<TargetLock> {
    return this.run('autocommit', () => leases.lockTargetsAndClaims(this.d, job, keys, email));
  }
  jobStats(): Promise<JobStats[]> {
    return this.run('read', () => jobs.jobStats(this.d));
  }
  listJobs(connection: string, options?: { held?: boolean; limit?: number }): Promise<JobRow[]> {
    return this.run('read', () => jobs.listJobs(connection, options));
  }

  getSyncStates(connection: string, userIds: readonly string[]): Promise<SyncState[]> {
    return this.run('read', () => sync.getSyncStates(this.d, connection, userIds));
  }
  loadSyncInput(connection: string, userId: string): Promise<SyncInput> {
    return this.run('read', () => sync.loadSyncInput(this.d, connection, userId));
  }
  async recordRun(job: ClaimedJob, run: RunRecord): Promise<{ isCurrent: boolean; isCompleted: boolean }> {
    if (this.d.writesInWith && run.complete && (run.notifications ?? []).length === 0) {
      if (await this.run('autocommit', () => sync.recordCompletedRun(this.d, job, run))) return { isCurrent: true, isCompleted: true };
    }
    return this.run('write', () => sync.recordRun(this.d, job, run));
  }
  putSyncState(state: SyncState, lease?: JobLease): Promise<boolean> {
    return this.run('autocommit', () => sync.putSyncState(this.d, state, lease));
  }
  deleteSyncState(connection: string, userId: string, lease?: JobLease): Promise<boolean> {
    return this.run('write', () => sync.deleteSyncState(this.d, connection, userId, lease));
  }
  findSyncStateByTarget(connection: string, targetId: string): Promise<SyncState | null> {
    return this.run('read', () => sync.findSyncStateByTarget(connection, targetId));
  }
  findSyncStatesByTargetEmail(connection: string, email: string): Promise<SyncState[]> {
    return this.run('read', () => sync.findSyncStatesByTargetEmail(connection, email));
  }
  listSyncStates(connection: string, options: SyncStatePage = {}): Promise<SyncState[]> {
    return this.run('read', () => sync.listSyncStates(connection, options));
  }
  syncSummary(connection: string): Promise<SyncSummary> {
    return this.run('read', () => sync.syncSummary(connection));
  }

  putUnmanagedReport(report: UnmanagedReportInput): Promise<void> {
    return this.run('write', () => unmanaged.putUnmanagedReport(report));
  }
  getUnmanagedReport(connection: string, options: { limit?: number } = {}): Promise<UnmanagedReport | null> {
    return this.run('read', () => unmanaged.getUnmanagedReport(connection, options.limit));
  }
  enqueueAccountJobs(connection: string, jobIds: readonly string[]): Promise<number> {
    return this.run('write', () => jobs.enqueueNew(this.d, connection, jobIds));
  }

  appendAudit(records: readonly AuditRecord[]): Promise<void> {
    return this.run('write', () => sync.appendAudit(this.d, records));
  }
  /** Newest first. */
  listAudit(options: { connection?: string; userId?: string; since?: number; limit?: number }): Promise<AuditRecord[]> {
    return this.run('read', () => sync.listAudit(options));
  }
  purgeAudit(before: number): Promise<number> {
    return this.run('write', () => sync.purgeAudit(before));
  }

  enqueueNotifications(items: readonly NotificationInput[]): Promise<number> {
    if (items.length === 0) return Promise.resolve(0);
    return this.run('write', () => notify.enqueueNotifications(this.d, items));
  }
  claimNotifications(webhook: string, claim: NotificationClaim): Promise<ClaimedNotification[]> {
    return this.run('write', () => notify.claimNotifications(this.d, webhook, claim));
  }
  completeNotifications(claims: readonly ClaimedNotification[]): Promise<number> {
    return this.run('write', () => notify.completeNotifications(this.d, claims));
  }
  retryNotifications(claims: readonly ClaimedNotification[], retry: NotificationRetry): Promise<number> {
    return this.run('write', () => notify.retryNotifications(this.d, claims, retry));
  }
  notificationStats(): Promise<NotificationStats[]> {
    return this.run('read', () => notify.notificationStats(this.d));
  }

  takeToken(key: string, bucket: TokenBucket): Promise<number> {
    return this.run('write', () => coord.takeToken(this.d, key, bucket));
  }
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.run('write', () => coord.acquireLease(this.d, name, holder, ttlMs));
  }
  releaseLease(name: string, holder: string): Promise<void> {
    return this.run('write', () => coord.releaseLease(name, holder));
  }
  countInWindow(key: string, window: SlidingWindow): Promise<WindowCount> {
    return this.run('write', () => coord.countInWindow(this.d, key, window));
  }
  resetWindow(key: string): Promise<void> {
    return this.run('write', () => coord.resetWindow(key));
  }
  pruneCoordination(): Promise<number> {
    return this.run('write', () => coord.pruneCoordination(this.d));
  }
}
