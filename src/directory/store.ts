import type { Coordination } from './coordination.js';
import type { LockPurpose, StoreLock } from './store-lock.js';
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
 * The store, implemented by SQLite (embedded default) and PostgreSQL in one SQL class: the
 * lifecycle below, and one small interface per idea (directory, job outbox, sync states,
 * unmanaged-account reports, audit log, notification outbox, coordination), so code that needs
 * one part can say so. Every directory write enqueues the affected users' convergence jobs in the same transaction
 * (docs/architecture.md, promise 1): durability is never retrofitted.
 *
 * Errors: UNIQUENESS (userName or group displayName taken, case-insensitively), NOT_FOUND,
 * VERSION_MISMATCH (If-Match), INVALID_VALUE (a member id that is not a user of the
 * connection), STORE_UNAVAILABLE (transient: database down, busy, connection lost).
 */
/** What {@link Store.holdJob} did: held the job, or refused because the user changed since the claim, or because the lease is gone. */
export type HoldOutcome = 'held' | 'changed' | 'lease-lost';

export interface Store extends Coordination, DirectoryStore, JobOutbox, SyncStates, UnmanagedReports, AuditLog, NotificationOutbox {
  readonly dialect: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to run at every start and from several processes. */
  migrate(): Promise<void>;
  /**
   * Takes the store lock (store-lock.ts): `serve` while a bridge runs (shared by the replicas of
   * one PostgreSQL store; one process per SQLite file), `copy-store` while a copy runs
   * (exclusive, never waited for). Throws STORE_LOCKED naming the holder's pid and host. Closing
   * the store releases its locks.
   */
  lock(purpose: LockPurpose): Promise<StoreLock>;
  /** A cheap round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Users and groups as SCIM sees them; every write enqueues its convergence jobs in the same transaction. */
export interface DirectoryStore {
  // Users. Deleted users stay as tombstones (invisible to SCIM) until the worker has converged
  // the deletion in the target and calls purgeUser.
  createUser(connection: string, input: UserInput, ctx: WriteContext): Promise<UserRecord>;
  /** With `related`, the user's groups and sync state come in the same unit of work (`UserRecord.related`). */
  getUser(connection: string, id: string, options?: { includeDeleted?: boolean; related?: boolean }): Promise<(UserRecord & { deleted: boolean }) | null>;
  /** Several users by id in one read, tombstones included (absent ones left out), in no particular order. */
  getUsers(connection: string, ids: readonly string[]): Promise<(UserRecord & { deleted: boolean })[]>;
  replaceUser(connection: string, id: string, input: UserInput, options: WriteOptions, ctx: WriteContext): Promise<UserRecord>;
  /** Tombstones the user, drops its memberships (bumping those groups' versions), enqueues its job. */
  deleteUser(connection: string, id: string, options: WriteOptions, ctx: WriteContext): Promise<void>;
  /**
   * A page of live users in one unit of work (one read transaction on SQLite, one pooled client
   * on PostgreSQL), with each user's groups and sync state when `query.related`. A filter that
   * pins a unique attribute (`userName eq`, `id eq`) is one indexed lookup, without COUNT.
   */
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
}

/** Convergence jobs (the outbox): claimed under leases on the database clock, fenced by lease tokens. */
export interface JobOutbox {
  // Convergence jobs (the outbox), one row per user, coalesced: every change bumps the row's
  // generation; completing a job only removes it if no newer change arrived meanwhile.
  /**
   * Claims up to `limit` due, unheld, unleased jobs of a connection (PostgreSQL: FOR UPDATE SKIP
   * LOCKED). Due times and leases are read on the database's clock, never the caller's. A SQL
   * store reads each job's sync input with the claim (`ClaimedJob.input`).
   */
  claimJobs(connection: string, options: ClaimOptions): Promise<ClaimedJob[]>;
  /**
   * How long until the first of these users' jobs can be claimed (due, lease free), on the
   * database's clock: 0 when one can be now, null when none of them is left unheld and unparked.
   */
  claimableIn(connection: string, userIds: readonly string[]): Promise<number | null>;
  /** Extends the leases of these claims (by lease token) to `leaseMs` from now; returns how many jobs they still hold. */
  renewLeases(connection: string, leaseTokens: readonly string[], leaseMs: number): Promise<number>;
  /** Marks a claimed job done; returns false if a newer change arrived (the job stays, unleased, due now) or the lease was lost. */
  completeJob(job: ClaimedJob): Promise<boolean>;
  /**
   * Releases a claimed job for a later attempt: attempts+1, due after `delayMs`, or at once when
   * a change arrived while it ran (a newer write never waits out an older backoff). Returns
   * false (and changes nothing) when the lease was lost.
   */
  retryJob(job: ClaimedJob, retry: RetryOptions): Promise<boolean>;
  /**
   * Forgets the target write an earlier attempt left pending (`pendingHandle`, a Redis Cloud
   * task) once it is final, so no later run of the job waits for it again. Fenced by the lease;
   * false when the lease was lost or the job keeps another handle.
   */
  settlePending(job: ClaimedJob, handle: string): Promise<boolean>;
  /**
   * Puts a claimed job on hold (mass-deprovisioning guard) with the reason; held jobs are never
   * claimed. Fenced like a completion: holds nothing, and says why, when a newer change arrived
   * since the claim (`changed`: the guard never saw it, the job runs again) or the lease was lost
   * (`lease-lost`). The lease stays; the worker gives it back after recording the run.
   */
  holdJob(job: ClaimedJob, reason: string): Promise<HoldOutcome>;
  /**
   * Releases held jobs of a connection (all, or the given users) with reason `approved` (the guard
   * lets them through) and who approved them; their users' `held` sync states become `pending`
   * in the same transaction (approved, waiting for a worker). Returns how many.
   */
  releaseJobs(connection: string, userIds?: readonly string[], options?: { approvedBy?: string }): Promise<number>;
  /** Enqueues jobs for these users of a connection (reconcile, `scim-bridge sync`), or all live and tombstoned users when omitted. */
  enqueueJobs(connection: string, reason: JobReason | 'reconcile', userIds?: readonly string[], requestId?: string): Promise<number>;
  /**
   * Takes the lease on one user's job whatever its due time (strict mode converges a write
   * under it, so a worker never runs beside it): the row is created, due now, when the user has
   * none. Null when another lease on it is live.
   */
  leaseJob(connection: string, userId: string, options: LeaseOptions): Promise<LeasedJob | null>;
  /** Gives a lease back and leaves the job as it was; `delayMs` (database clock) postpones it unless a newer change arrived meanwhile. */
  releaseJob(job: ClaimedJob, delayMs?: number): Promise<void>;
  /**
   * Locks target keys (the emails and the account id a job may touch) for a leased job, across
   * replicas: a lock lives exactly as long as the job's lease. Returns the user id of another
   * job that holds one of the keys, or null when all are this job's.
   */
  lockTargets(job: ClaimedJob, keys: readonly string[]): Promise<string | null>;
  /**
   * {@link lockTargets}, and, when every key is the job's, the sync states whose target email is
   * `email`, read under those locks (a create's claimant check, without a read of its own).
   */
  lockTargetsAndClaims(job: ClaimedJob, keys: readonly string[], email: string): Promise<TargetLock>;
  /** Queue depth and age of the oldest unheld job, per connection. */
  jobStats(): Promise<JobStats[]>;
  listJobs(connection: string, options?: { held?: boolean; limit?: number }): Promise<JobRow[]>;
}

/** What happened in each target, per user: the sync state, fenced by the job lease. */
export interface SyncStates {
  // Sync state: what happened in the target, shown in the User's sync extension and in status.
  getSyncStates(connection: string, userIds: readonly string[]): Promise<SyncState[]>;
  /** What converging one user starts from, in one read: the user (tombstones included), its sync state and its groups (none for a tombstone). */
  loadSyncInput(connection: string, userId: string): Promise<SyncInput>;
  /**
   * Records one run of a leased job in one transaction: the sync state and its notifications,
   * only while the lease holds the job (as {@link putSyncState} with a lease); the audit record
   * `audit(isCurrent)` builds, always (the target calls happened); and with `complete`, the job
   * itself, as {@link completeJob} would. A state whose link another state holds throws
   * UNIQUENESS, and nothing is written.
   */
  recordRun(job: ClaimedJob, run: RunRecord): Promise<{ isCurrent: boolean; isCompleted: boolean }>;
  /**
   * Inserts or replaces a sync state. With `lease`, only while that lease still holds the user's
   * job (checked under a row lock): a worker that lost its lease cannot overwrite newer state.
   * Returns whether it was written.
   */
  putSyncState(state: SyncState, lease?: JobLease): Promise<boolean>;
  /** Deletes a sync state; with `lease`, only while it holds the user's job. Returns whether the lease held (always true without one). */
  deleteSyncState(connection: string, userId: string, lease?: JobLease): Promise<boolean>;
  /** Finds the sync state linked to a target account id (at most one: the store refuses a second link, UNIQUENESS). */
  findSyncStateByTarget(connection: string, targetId: string): Promise<SyncState | null>;
  /** Every sync state whose target email is this one, compared case-insensitively. */
  findSyncStatesByTargetEmail(connection: string, email: string): Promise<SyncState[]>;
  /** The sync states of a connection, all or those with one status, paged by user id (reconciler, plan, retrying failed users). */
  listSyncStates(connection: string, options?: SyncStatePage): Promise<SyncState[]>;
  /** Users, and sync states by state, and the most frequent error codes, per connection. */
  syncSummary(connection: string): Promise<SyncSummary>;
}

/** The latest report of target accounts nobody manages, and the jobs that remove them. */
export interface UnmanagedReports {
  // Accounts nobody manages: the latest report of each connection (the reconciler writes it,
  // `scim-bridge unmanaged` and /status read it), and the jobs that remove them.
  /**
   * Replaces a connection's report in one transaction; an account reported before keeps its
   * `firstSeenAt`, a new one gets the report's time.
   */
  putUnmanagedReport(report: UnmanagedReportInput): Promise<void>;
  /** The latest report of a connection with at most `limit` accounts (all by default), by email; null before the first. */
  getUnmanagedReport(connection: string, options?: { limit?: number }): Promise<UnmanagedReport | null>;
  /**
   * Enqueues jobs under ids that are not SCIM users (`unmanaged:<email>`, sync/unmanaged-removal.ts),
   * due now; an id that has a job already keeps it as it is (its hold, its backoff, its approval). Returns how many were added.
   */
  enqueueAccountJobs(connection: string, jobIds: readonly string[]): Promise<number>;
}

/** The decision audit log. */
export interface AuditLog {
  // Decision audit log.
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
  listAudit(options: { connection?: string; userId?: string; since?: number; limit?: number }): Promise<AuditRecord[]>;
  /** Deletes records older than `before` (epoch ms); returns how many. */
  purgeAudit(before: number): Promise<number>;
}

/** The webhook notification outbox. */
export interface NotificationOutbox {
  // Notification outbox (webhooks): rows stay until delivered, claims are leased (sql/notify-ops.ts).
  /** Queues notifications, due now; an id already queued is kept once. Returns how many were added. */
  enqueueNotifications(items: readonly NotificationInput[]): Promise<number>;
  /** Claims up to `limit` due, unleased rows of one webhook, oldest first (PostgreSQL: SKIP LOCKED). */
  claimNotifications(webhook: string, claim: NotificationClaim): Promise<ClaimedNotification[]>;
  /** Deletes rows these claims still hold (delivered, or given up); returns how many. */
  completeNotifications(claims: readonly ClaimedNotification[]): Promise<number>;
  /** Frees rows these claims still hold, due again after `delayMs` (database clock); returns how many. */
  retryNotifications(claims: readonly ClaimedNotification[], retry: NotificationRetry): Promise<number>;
  /** Rows waiting per webhook. */
  notificationStats(): Promise<NotificationStats[]>;
}


/** One notification to queue for one webhook. */
export interface NotificationInput {
  /** Unique per event and webhook (the receiver's idempotency key). */
  id: string;
  webhook: string;
  event: Record<string, unknown>;
}

/** A queued notification claimed by a dispatcher. */
export interface ClaimedNotification extends NotificationInput {
  /** When it was queued (database clock, epoch ms). */
  createdAt: number;
  availableAt: number;
  /** Failed deliveries so far. */
  attempts: number;
  lastError: string | null;
  /** Unique to the claim: a dispatcher that lost it changes nothing. */
  leaseToken: string;
  /** How long it has been queued when claimed (database clock). */
  ageMs: number;
}

/** Options of {@link Store.claimNotifications}. */
export interface NotificationClaim {
  limit: number;
  /** How long the claim is ours (database clock) before another dispatcher may take the rows. */
  leaseMs: number;
}

/** How {@link Store.retryNotifications} frees rows. */
export interface NotificationRetry {
  delayMs: number;
  /** The delivery's error (null: keep the last one). */
  lastError: string | null;
  /** A failed delivery (counts an attempt), or only a deferral (the webhook's rate limit). */
  isAttempt: boolean;
}

/** Rows waiting for one webhook. */
export interface NotificationStats {
  webhook: string;
  pending: number;
  oldestAgeMs: number;
  maxAttempts: number;
}

/** Options of {@link Store.claimJobs}. */
export interface ClaimOptions {
  limit: number;
  /** Identifies this worker (host:pid:random). */
  workerId: string;
  /** Lease length on the database's clock: an unfinished, unrenewed job becomes claimable again after this (crash recovery). */
  leaseMs: number;
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
  /** When the job was put on hold (database clock; null when not held). */
  heldAt: number | null;
  /** Who released the job from its hold (`scim-bridge approve --by`), until a newer change replaces the approval. */
  approvedBy: string | null;
  /** A target write the last attempt left accepted but not final (a Redis Cloud task id): the next attempt waits for it first. */
  pendingHandle: string | null;
}

/** A job this worker holds a lease on. */
export interface ClaimedJob extends JobRow {
  workerId: string;
  /** Unique to this claim: fences the writes made for the job, so a worker that lost the lease writes nothing. */
  leaseToken: string;
  /** When the lease runs out, on the database's clock. */
  leaseUntil: number;
  /**
   * When the job was claimed, on the database's clock (the clock of `enqueuedAt` and of every
   * time in the outbox): how old a change is is `claimedAt - enqueuedAt` plus the time the run
   * has taken, never a host's wall clock against a database time.
   */
  claimedAt: number;
  /**
   * The user's sync input as the claim read it, when the claim read it: the run starts from it
   * instead of reading it again (a change after the claim bumps the generation, and the job runs again).
   */
  input?: SyncInput;
}

/** What {@link Store.lockTargetsAndClaims} found. */
export interface TargetLock {
  /** Another job holding one of the keys live, or null when every key is the job's. */
  holder: string | null;
  /** With the keys the job's: the sync states whose target email is the one asked about. */
  claims: SyncState[];
}

/** What proves that the caller still holds a job's lease. */
export type JobLease = Pick<ClaimedJob, 'connection' | 'userId' | 'leaseToken'>;

/** How {@link Store.retryJob} releases a job. */
export interface RetryOptions {
  /** Due again this long from now (database clock). */
  delayMs: number;
  lastError: string;
  /** A target write accepted but not final, kept for the next attempt (null or absent: none). */
  pendingHandle?: string | null;
  /**
   * A permanent failure waiting out the long heal backoff (`sync.failedRetryMs`): the job is
   * parked, counted as `failed` in {@link JobStats}, not as pending. Not parked when a change came
   * while it ran (it is due at once). A new change, a heal or an approval unparks it.
   */
  parked?: boolean;
}

/** Options of {@link Store.leaseJob}. */
export interface LeaseOptions {
  workerId: string;
  leaseMs: number;
}

/** A lease taken by {@link Store.leaseJob}; `isNew` when the row was created for it. */
export interface LeasedJob extends ClaimedJob {
  isNew: boolean;
}

/** Queue figures of one connection. */
export interface JobStats {
  connection: string;
  /** Unheld, unparked jobs: changes not yet applied (due, in retry backoff or in flight). */
  pending: number;
  held: number;
  /** Parked jobs: users that failed for good, waiting out `sync.failedRetryMs` (their state says why). */
  failed: number;
  /** Age in ms of the oldest pending job (due, in backoff or in flight), or null when none. */
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
  /** What the last run ignored that a person should know (an assigned role the target does not have); absent when nothing. */
  warnings?: string[];
}

/** A page of {@link Store.listSyncStates}: after this user id, at most `limit` (default 1000), only this status. */
export interface SyncStatePage {
  afterUserId?: string;
  limit?: number;
  status?: SyncStatus;
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

/** A target account that no SCIM user of the connection is linked to or matches by email. */
export interface UnmanagedAccount {
  email: string;
  /** Null for an invitation without an id yet. */
  targetId: string | null;
  name: string | null;
  role: string | null;
  accountStatus: 'active' | 'invited' | 'disabled';
  /** Set for the target's last admin: reported, never removed for being unmanaged. */
  protection: 'last-admin' | null;
  /** What the bridge does with it: only report it, remove it (`unmanaged: remove`), or keep it although told to remove (`note` says why). */
  action: 'report' | 'remove' | 'keep';
  note: string | null;
  /** When a report first listed it (epoch ms). */
  firstSeenAt: number;
}

/** What one reconcile (or `scim-bridge unmanaged`) found. */
export interface UnmanagedReport {
  connection: string;
  at: number;
  /** The mapping's `unmanaged` option when the report was made. */
  policy: 'report' | 'remove';
  /** How many accounts the report holds (`accounts` may be cut to a limit). */
  total: number;
  accounts: UnmanagedAccount[];
}

/** A report to store: `firstSeenAt` is the store's to keep. */
export interface UnmanagedReportInput {
  connection: string;
  at: number;
  policy: 'report' | 'remove';
  accounts: Omit<UnmanagedAccount, 'firstSeenAt'>[];
}

/** One decision of the convergence engine. */
/** What {@link Store.loadSyncInput} returns. */
export interface SyncInput {
  user: (UserRecord & { deleted: boolean }) | null;
  state: SyncState | null;
  groups: UserGroupRef[];
}

/** What {@link Store.recordRun} writes. */
export interface RunRecord {
  state: SyncState;
  /** The audit record, given whether the state was written (false: the lease was lost). */
  audit: (isCurrent: boolean) => AuditRecord;
  /** Complete the job too (its run is final). */
  complete: boolean;
  /** Notifications the state gives rise to, queued with it (as enqueueNotifications), only when it is written. */
  notifications?: readonly NotificationInput[];
}

export interface AuditRecord {
  id?: number;
  at: number;
  connection: string;
  userId: string;
  requestIds: string[];
  /** The whole decision: rules matched, account before and after, target calls and results. */
  decision: Record<string, unknown>;
}
