import type {
  GroupChange,
  GroupInput,
  GroupRecord,
  JobReason,
  ListPage,
  ListQuery,
  UserGroupRef,
  UserInput,
  UserRecord,
  WriteContext,
  WriteOptions,
} from './model.js';

/**
 * The one store interface, implemented by SQLite (embedded default) and PostgreSQL. Every
 * directory write enqueues the affected users' convergence jobs in the same transaction
 * (DESIGN.md invariant 1): durability is never retrofitted.
 *
 * Errors: UNIQUENESS (userName or group displayName taken, case-insensitively), NOT_FOUND,
 * VERSION_MISMATCH (If-Match), INVALID_VALUE (a member id that is not a user of the
 * connection), STORE_UNAVAILABLE (transient: database down, busy, connection lost).
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to run at every start and from several processes. */
  migrate(): Promise<void>;
  /** A cheap round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;

  // Users. Deleted users stay as tombstones (invisible to SCIM) until the worker has converged
  // the deletion in the target and calls purgeUser.
  createUser(connection: string, input: UserInput, ctx: WriteContext): Promise<UserRecord>;
  getUser(connection: string, id: string, options?: { includeDeleted?: boolean }): Promise<(UserRecord & { deleted: boolean }) | null>;
  replaceUser(connection: string, id: string, input: UserInput, options: WriteOptions, ctx: WriteContext): Promise<UserRecord>;
  /** Tombstones the user, drops its memberships (bumping those groups' versions), enqueues its job. */
  deleteUser(connection: string, id: string, options: WriteOptions, ctx: WriteContext): Promise<void>;
  listUsers(connection: string, query: ListQuery): Promise<ListPage<UserRecord>>;
  /** Removes a tombstone for good (after the target account is gone). No-op if the user is live again or absent. */
  purgeUser(connection: string, id: string): Promise<void>;

  // Groups. Member changes enqueue a job for every user whose membership changed; a rename or
  // externalId change enqueues every member (mapping rules match on them).
  createGroup(connection: string, input: GroupInput, ctx: WriteContext): Promise<GroupRecord>;
  getGroup(connection: string, id: string, options?: { members?: boolean }): Promise<GroupRecord | null>;
  replaceGroup(connection: string, id: string, input: GroupInput, options: WriteOptions, ctx: WriteContext): Promise<GroupRecord>;
  /** Applies a PATCH as deltas; returns the group without members. */
  patchGroup(connection: string, id: string, change: GroupChange, options: WriteOptions, ctx: WriteContext): Promise<GroupRecord>;
  deleteGroup(connection: string, id: string, options: WriteOptions, ctx: WriteContext): Promise<void>;
  listGroups(connection: string, query: ListQuery, options?: { members?: boolean }): Promise<ListPage<GroupRecord>>;
  /** The groups of each given user (one query, for a page of users or for the mapping). */
  groupsOfUsers(connection: string, userIds: readonly string[]): Promise<UserGroupRef[]>;

  // Convergence jobs (the outbox), one row per user, coalesced: every change bumps the row's
  // generation; completing a job only removes it if no newer change arrived meanwhile.
  /** Claims up to `limit` due, unheld, unleased jobs of a connection (PostgreSQL: FOR UPDATE SKIP LOCKED). */
  claimJobs(connection: string, options: ClaimOptions): Promise<ClaimedJob[]>;
  /** Extends `workerId`'s leases on these users' jobs until `leaseUntil`; returns how many it still held. */
  renewLeases(connection: string, workerId: string, userIds: readonly string[], leaseUntil: number): Promise<number>;
  /** Marks a claimed job done; returns false if a newer change arrived (the job stays, unleased, due now). */
  completeJob(job: ClaimedJob): Promise<boolean>;
  /** Releases a claimed job for a later attempt (transient failure): attempts+1, due at `retryAt`. */
  retryJob(job: ClaimedJob, retryAt: number, lastError: string): Promise<void>;
  /** Puts jobs on hold (mass-deprovisioning guard) with the reason; held jobs are never claimed. */
  holdJobs(connection: string, userIds: readonly string[], reason: string): Promise<void>;
  /** Releases held jobs of a connection (all, or the given users) with reason `approved` (the guard lets them through); returns how many. */
  releaseJobs(connection: string, userIds?: readonly string[]): Promise<number>;
  /** Enqueues jobs for these users of a connection (reconcile, `scim-bridge sync`), or all live and tombstoned users when omitted. */
  enqueueJobs(connection: string, reason: JobReason | 'reconcile', userIds?: readonly string[], requestId?: string): Promise<number>;
  /**
   * Takes the lease on one user's job whatever its due time (strict mode converges a write
   * under it, so a worker never runs beside it): the row is created, due now, when the user has
   * none. Null when another lease on it is live.
   */
  leaseJob(connection: string, userId: string, options: LeaseOptions): Promise<LeasedJob | null>;
  /** Gives a lease back and leaves the job as it was; `availableAt` postpones it unless a newer change arrived meanwhile. */
  releaseJob(job: ClaimedJob, availableAt?: number): Promise<void>;
  /**
   * Locks target keys (the emails and the account id a job may touch) for a leased job, across
   * replicas: a lock lives exactly as long as the job's lease. Returns the user id of another
   * job that holds one of the keys, or null when all are this job's.
   */
  lockTargets(job: ClaimedJob, keys: readonly string[], now?: number): Promise<string | null>;
  /** Queue depth and age of the oldest unheld job, per connection. */
  jobStats(): Promise<JobStats[]>;
  listJobs(connection: string, options?: { held?: boolean; limit?: number }): Promise<JobRow[]>;

  // Sync state: what happened in the target, shown in the User's sync extension and in status.
  getSyncStates(connection: string, userIds: readonly string[]): Promise<SyncState[]>;
  putSyncState(state: SyncState): Promise<void>;
  deleteSyncState(connection: string, userId: string): Promise<void>;
  /** Finds the sync state linked to a target account id (at most one: the store refuses a second link, UNIQUENESS). */
  findSyncStateByTarget(connection: string, targetId: string): Promise<SyncState | null>;
  /** Every sync state whose target email is this one, compared case-insensitively. */
  findSyncStatesByTargetEmail(connection: string, email: string): Promise<SyncState[]>;
  /** Every sync state of a connection, paged by user id (reconciler, plan). */
  listSyncStates(connection: string, options?: { afterUserId?: string; limit?: number }): Promise<SyncState[]>;
  /** Users, and sync states by state, and the most frequent error codes, per connection. */
  syncSummary(connection: string): Promise<SyncSummary>;

  // Decision audit log.
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
  listAudit(options: { connection?: string; userId?: string; since?: number; limit?: number }): Promise<AuditRecord[]>;
  /** Deletes records older than `before` (epoch ms); returns how many. */
  purgeAudit(before: number): Promise<number>;

  // Coordination between replicas.
  /** Runs `fn` only if no other process holds the named lock (PostgreSQL advisory lock; SQLite: in-process). Returns undefined when skipped. */
  withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;
}

/** Options of {@link Store.claimJobs}. */
export interface ClaimOptions {
  limit: number;
  /** Identifies this worker (host:pid:random). */
  workerId: string;
  /** Lease length: an unfinished job becomes claimable again after this (crash recovery). */
  leaseMs: number;
  now?: number;
}

/** A job as stored. */
export interface JobRow {
  connection: string;
  userId: string;
  generation: number;
  reason: JobReason | 'reconcile' | 'approved';
  /** The most recent SCIM request ids that changed this user (newest last, at most 10). */
  requestIds: string[];
  /** When the oldest unconverged change arrived (epoch ms): retries stop after a configured age. */
  enqueuedAt: number;
  availableAt: number;
  attempts: number;
  lastError: string | null;
  heldReason: string | null;
}

/** A job this worker holds a lease on. */
export interface ClaimedJob extends JobRow {
  workerId: string;
  leaseUntil: number;
}

/** Options of {@link Store.leaseJob}. */
export interface LeaseOptions {
  workerId: string;
  leaseMs: number;
  now?: number;
}

/** A lease taken by {@link Store.leaseJob}; `isNew` when the row was created for it. */
export interface LeasedJob extends ClaimedJob {
  isNew: boolean;
}

/** Queue figures of one connection. */
export interface JobStats {
  connection: string;
  pending: number;
  held: number;
  /** Age in ms of the oldest unheld job (due, in backoff or in flight), or null when none. */
  oldestAgeMs: number | null;
}

/** Where a user stands in its target. */
export type SyncStatus = 'pending' | 'synced' | 'failed' | 'unsupported' | 'held';

/** The sync state of one user. */
export interface SyncState {
  connection: string;
  userId: string;
  status: SyncStatus;
  /** Target account id (null for an invitation without id yet, or no account). */
  targetId: string | null;
  /** The email the target account has (to find it again, also after the SCIM user is deleted). */
  targetEmail: string | null;
  /** The role the account has in the target, as last converged. */
  role: string | null;
  /** Whether the bridge created or adopted the account (drift and mass-removal counts use this). */
  isManaged: boolean;
  /** `active`, `invited`, `disabled` or `absent` in the target. */
  accountStatus: 'active' | 'invited' | 'disabled' | 'absent';
  lastError: { code: string; message: string } | null;
  lastSyncAt: number | null;
  updatedAt: number;
}

/** Counts for `scim-bridge status` and /status. */
export interface SyncSummary {
  connection: string;
  users: number;
  /** Accounts the bridge created or adopted that still exist in the target (the guard's base). */
  managed: number;
  byStatus: Record<SyncStatus, number>;
  topErrors: { code: string; message: string; count: number }[];
}

/** One decision of the convergence engine. */
export interface AuditRecord {
  id?: number;
  at: number;
  connection: string;
  userId: string;
  requestIds: string[];
  /** The whole decision: rules matched, account before and after, target calls and results. */
  decision: Record<string, unknown>;
}
