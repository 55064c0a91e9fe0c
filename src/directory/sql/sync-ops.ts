import type { UserGroupRef } from '../model.js';
import type { AuditRecord, ClaimedJob, ClaimOptions, JobLease, RunRecord, SyncInput, SyncState, SyncStatePage, SyncStatus, SyncSummary } from '../store.js';
import type { Dialect } from './dialect.js';
import { claimedJobs, claimParts, deleteJob, freeLease, holdsLease, leased } from './job-ops.js';
import { groupsOfUsers } from './member-ops.js';
import { enqueueNotifications } from './notify-ops.js';
import { fromJson, toAudit, toNumber, toSyncState, toUser, userColumns } from './rows.js';
import { empty, join, raw, sql, type Sql } from './sql.js';
import { exec, first, rows, type Row, type Tx } from './tx.js';

/** Sync state (what happened in the target, per user) and the decision audit log. */

/** Columns of a sync-state row. */
export const stateColumns = sql`connection, user_id, status, target_id, target_email, role, is_managed, account_status,
  last_error_code, last_error_message, last_sync_at, updated_at, warnings`;
const statuses: readonly SyncStatus[] = ['pending', 'synced', 'failed', 'unsupported', 'held'];
const TOP_ERRORS = 5;
const AUDIT_BATCH = 500;

/** Sync states of the given users (absent ones are left out). One user is looked up by equality (on SQLite an IN list builds a temporary table: about 30 µs). */
export function* getSyncStates(d: Dialect, connection: string, userIds: readonly string[]): Tx<SyncState[]> {
  if (userIds.length === 0) return [];
  const users = userIds.length === 1 ? sql`user_id = ${userIds[0]}` : sql`user_id IN (${d.list(userIds)})`;
  const found = yield* rows(sql`SELECT ${stateColumns} FROM sync_state WHERE connection = ${connection} AND ${users} ORDER BY user_id`);
  return found.map(toSyncState);
}

const stateNames = ['connection', 'user_id', 'status', 'target_id', 'target_email', 'role', 'is_managed', 'account_status', 'last_error_code', 'last_error_message', 'last_sync_at', 'updated_at', 'warnings'];
/** The sync state beside the user in one row: `s_` columns of a LEFT JOIN. */
const joinedState = raw(stateNames.map((c) => `s.${c} AS s_${c}`).join(', '));

/**
 * The user (tombstones included), its sync state and its groups: what converging it starts
 * from. On PostgreSQL one statement, one round trip: the user and the state LEFT JOINed to the
 * id (either may be missing), the groups aggregated in the same row. On SQLite three lookups by
 * key, which is cheaper there: no round trip to save, and SQLite took about 57 µs for the joined
 * row against 18 µs for the user and the state apart, and plans the aggregate as a walk of the
 * connection's memberships (list-ops.ts).
 */
export function* loadSyncInput(d: Dialect, connection: string, userId: string): Tx<SyncInput> {
  if (d.name !== 'postgres') {
    const userRow = yield* first(sql`SELECT ${userColumns} FROM users u WHERE u.connection = ${connection} AND u.id = ${userId}`);
    const user = userRow === undefined ? null : toUser(userRow);
    const [state] = yield* getSyncStates(d, connection, [userId]);
    return { user, state: state ?? null, groups: user && !user.deleted ? yield* groupsOfUser(connection, userId) : [] };
  }
  const key = raw('k.id');
  const row = yield* first(sql`SELECT ${inputColumns(d, connection, key)} FROM (SELECT CAST(${userId} AS TEXT) AS id) AS k ${inputJoins(connection, key)}`);
  return inputOfRow(row, userId);
}

/**
 * PostgreSQL: the columns of a user's sync input beside a row that names the user (`key`): the
 * user's columns, the state's as `s_` columns, the groups aggregated as `user_groups`; with
 * {@link inputJoins}, decoded by {@link inputOfRow}.
 */
function inputColumns(d: Dialect, connection: string, key: Sql): Sql {
  return sql`${userColumns}, ${joinedState}, (SELECT ${d.jsonRows([raw('g.id'), raw('g.display_name'), raw('g.external_id')], raw('g.display_name_ci, g.id'))}
      FROM group_members gm JOIN groups g ON g.connection = gm.connection AND g.id = gm.group_id WHERE gm.connection = ${connection} AND gm.member_id = ${key}) AS user_groups`;
}

/** The joins of {@link inputColumns}: either side may be missing. */
function inputJoins(connection: string, key: Sql): Sql {
  return sql`LEFT JOIN users u ON u.connection = ${connection} AND u.id = ${key}
    LEFT JOIN sync_state s ON s.connection = ${connection} AND s.user_id = ${key}`;
}

/** A user's sync input from a row of {@link inputColumns}. */
function inputOfRow(row: Row | undefined, userId: string): SyncInput {
  const user = row === undefined || row.id === null || row.id === undefined ? null : toUser(row);
  const stateRow: Row = {};
  for (const name of stateNames) stateRow[name] = row?.[`s_${name}`];
  const state = stateRow.status === null || stateRow.status === undefined ? null : toSyncState(stateRow);
  if (!user || user.deleted) return { user, state, groups: [] };
  const listed = row?.user_groups === null || row?.user_groups === undefined ? [] : fromJson<[unknown, unknown, unknown][]>(row.user_groups);
  return { user, state, groups: listed.map(([groupId, displayName, externalId]) => toGroupRef(userId, groupId, displayName, externalId)) };
}

/**
 * Claims jobs (job-ops.ts) and reads each one's sync input with the claim, so a job starts
 * without a read of its own. Reading before the run is safe: a change to the user after the
 * claim bumps the job's generation, and the run's generation-fenced completion then leaves the
 * job due, to run again on what changed, as when the change comes while the job runs; the sync
 * state only this job's lease writes. PostgreSQL: one statement, the claim's (its rows joined to
 * the users, states and groups); SQLite: three reads for the batch in the claim's transaction.
 */
export function* claimJobsWithInput(d: Dialect, connection: string, options: ClaimOptions): Tx<ClaimedJob[]> {
  const { due, update, leaseToken } = claimParts(d, connection, options);
  if (d.writesInWith) {
    const key = raw('claimed.user_id');
    const found = yield* rows(sql`WITH due AS MATERIALIZED (${due}), claimed AS (${update})
      SELECT claimed.*, ${inputColumns(d, connection, key)} FROM claimed ${inputJoins(connection, key)}`);
    const inputs = new Map(found.map((row) => [String(row.user_id), inputOfRow(row, String(row.user_id))]));
    return claimedJobs(found, options, leaseToken).map((job) => withInput(job, inputs.get(job.userId)));
  }
  const jobs = claimedJobs(yield* rows(sql`WITH due AS MATERIALIZED (${due}) ${update}`), options, leaseToken);
  const inputs = yield* loadSyncInputs(d, connection, jobs.map((job) => job.userId));
  return jobs.map((job) => withInput(job, inputs.get(job.userId)));
}

const withInput = (job: ClaimedJob, input: SyncInput | undefined): ClaimedJob => (input === undefined ? job : { ...job, input });

/** The sync inputs of several users in three reads (users, states, groups): SQLite's batch of {@link loadSyncInput}. */
function* loadSyncInputs(d: Dialect, connection: string, userIds: readonly string[]): Tx<Map<string, SyncInput>> {
  const inputs = new Map<string, SyncInput>();
  if (userIds.length === 0) return inputs;
  const ids = userIds.length === 1 ? sql`u.id = ${userIds[0]}` : sql`u.id IN (${d.list(userIds)})`;
  const users = (yield* rows(sql`SELECT ${userColumns} FROM users u WHERE u.connection = ${connection} AND ${ids}`)).map(toUser);
  const states = new Map((yield* getSyncStates(d, connection, userIds)).map((state) => [state.userId, state]));
  const live = users.filter((user) => !user.deleted).map((user) => user.id);
  const groups = live.length === 0 ? [] : yield* groupsOfUsers(d, connection, live);
  for (const userId of userIds) inputs.set(userId, { user: null, state: states.get(userId) ?? null, groups: [] });
  for (const user of users) inputs.set(user.id, { user, state: states.get(user.id) ?? null, groups: [] });
  for (const ref of groups) inputs.get(ref.userId)?.groups.push(ref);
  return inputs;
}

/** One user's groups by name, by the member index (an equality, not an IN list). */
function* groupsOfUser(connection: string, userId: string): Tx<UserGroupRef[]> {
  const found = yield* rows(sql`SELECT g.id, g.display_name, g.external_id FROM group_members gm
    JOIN groups g ON g.connection = gm.connection AND g.id = gm.group_id
    WHERE gm.connection = ${connection} AND gm.member_id = ${userId} ORDER BY g.display_name_ci, g.id`);
  return found.map((row) => toGroupRef(userId, row.id, row.display_name, row.external_id));
}

const toGroupRef = (userId: string, groupId: unknown, displayName: unknown, externalId: unknown): UserGroupRef => ({
  userId,
  groupId: String(groupId),
  displayName: String(displayName),
  externalId: externalId === null || externalId === undefined ? null : String(externalId),
});

/**
 * A leased job's run: its state and notifications (while the lease holds), its audit record
 * (always), and with `complete` the job done. A completed run deletes the job first: the fenced
 * delete is the lease check too, so the state is written without another one (PostgreSQL holds
 * the row's lock from the delete until the commit; SQLite's write transaction is exclusive).
 */
export function* recordRun(d: Dialect, job: ClaimedJob, run: RunRecord): Tx<{ isCurrent: boolean; isCompleted: boolean }> {
  const isCompleted = run.complete ? yield* deleteJob(job) : false;
  if (isCompleted) yield* upsertSyncState(run.state);
  const isCurrent = isCompleted || (yield* putSyncState(d, run.state, job));
  // A change came while the job ran: the state is written, and the job is left due (lease freed).
  if (run.complete && !isCompleted && isCurrent) yield* freeLease(job);
  // The events the state gives rise to commit with it: a crash between the two loses neither.
  if (isCurrent && run.notifications !== undefined && run.notifications.length > 0) yield* enqueueNotifications(d, run.notifications);
  yield* appendAudit(d, [run.audit(isCurrent)]);
  return { isCurrent, isCompleted };
}

/**
 * The common end of a run, a completed job with nothing to notify, in one statement where the
 * database can write in WITH (PostgreSQL; no BEGIN and COMMIT either): the job's fenced delete
 * (lease and generation) drives the state and the audit record, so either all three are written
 * or none. False when the delete found nothing (the lease was lost, or a change came while the
 * job ran): nothing was written, and the caller records the run with {@link recordRun}.
 */
export function* recordCompletedRun(d: Dialect, job: ClaimedJob, run: RunRecord): Tx<boolean> {
  const audit = run.audit(true);
  const written = yield* exec(sql`WITH done AS (DELETE FROM sync_jobs WHERE ${leased(job)} AND generation = ${job.generation} RETURNING user_id),
    state AS (INSERT INTO sync_state (${stateColumns}, target_email_ci) SELECT ${stateValues(run.state)} FROM done ${onStateConflict})
    INSERT INTO audit_log (at, connection, user_id, request_ids, decision)
    SELECT ${audit.at}, ${audit.connection}, ${audit.userId}, ${d.json(audit.requestIds)}, ${d.json(audit.decision)} FROM done`);
  return written > 0;
}

const stateValues = (s: SyncState): Sql => sql`${s.connection}, ${s.userId}, ${s.status}, ${s.targetId}, ${s.targetEmail},
      ${s.role}, ${s.isManaged}, ${s.accountStatus}, ${s.lastError?.code ?? null}, ${s.lastError?.message ?? null}, ${s.lastSyncAt}, ${s.updatedAt},
      ${s.warnings && s.warnings.length > 0 ? JSON.stringify(s.warnings) : null}, ${s.targetEmail?.toLowerCase() ?? null}`;
const onStateConflict = sql`ON CONFLICT (connection, user_id) DO UPDATE SET status = excluded.status, target_id = excluded.target_id,
      target_email = excluded.target_email, target_email_ci = excluded.target_email_ci, role = excluded.role, is_managed = excluded.is_managed,
      account_status = excluded.account_status, last_error_code = excluded.last_error_code,
      last_error_message = excluded.last_error_message, last_sync_at = excluded.last_sync_at, updated_at = excluded.updated_at,
      warnings = excluded.warnings`;

function* upsertSyncState(s: SyncState): Tx<number> {
  return yield* exec(sql`INSERT INTO sync_state (${stateColumns}, target_email_ci) VALUES (${stateValues(s)}) ${onStateConflict}`);
}

/**
 * Inserts or replaces one sync state; with a lease, only while it holds the user's job, in one
 * statement: the row comes from the job row the lease holds, locked until the end of the
 * transaction (PostgreSQL: a claim skips it meanwhile, and one that changed it first leaves no row).
 */
export function* putSyncState(d: Dialect, s: SyncState, lease: JobLease | undefined): Tx<boolean> {
  if (lease === undefined) {
    yield* upsertSyncState(s);
    return true;
  }
  const written = yield* exec(sql`INSERT INTO sync_state (${stateColumns}, target_email_ci) SELECT ${stateValues(s)}
    FROM sync_jobs WHERE ${leased(lease)}${d.lock.update} ${onStateConflict}`);
  return written > 0;
}

/** Deletes one sync state; with a lease, only while it holds the user's job. */
export function* deleteSyncState(d: Dialect, connection: string, userId: string, lease: JobLease | undefined): Tx<boolean> {
  if (lease !== undefined && !(yield* holdsLease(d, lease))) return false;
  yield* exec(sql`DELETE FROM sync_state WHERE connection = ${connection} AND user_id = ${userId}`);
  return true;
}

/** The sync state linked to a target account id. */
export function* findSyncStateByTarget(connection: string, targetId: string): Tx<SyncState | null> {
  const row = yield* first(sql`SELECT ${stateColumns} FROM sync_state WHERE connection = ${connection} AND target_id = ${targetId} ORDER BY user_id LIMIT 1`);
  return row === undefined ? null : toSyncState(row);
}

/** The sync states whose target email is this one (case-insensitively, as `toLowerCase` folds it). */
export function* findSyncStatesByTargetEmail(connection: string, email: string): Tx<SyncState[]> {
  const found = yield* rows(sql`SELECT ${stateColumns} FROM sync_state WHERE connection = ${connection} AND target_email_ci = ${email.toLowerCase()}
    ORDER BY user_id`);
  return found.map(toSyncState);
}

/** Sync states of a connection (all, or those with one status), paged by user id. */
export function* listSyncStates(connection: string, options: SyncStatePage): Tx<SyncState[]> {
  const after = options.afterUserId === undefined ? empty : sql` AND user_id > ${options.afterUserId}`;
  const status = options.status === undefined ? empty : sql` AND status = ${options.status}`;
  const found = yield* rows(sql`SELECT ${stateColumns} FROM sync_state WHERE connection = ${connection}${after}${status}
    ORDER BY user_id LIMIT ${Math.max(0, options.limit ?? 1000)}`);
  return found.map(toSyncState);
}

/** Live users, sync states by status, and the most frequent errors of a connection. */
export function* syncSummary(connection: string): Tx<SyncSummary> {
  const users = yield* first(sql`SELECT count(*) AS total FROM users WHERE connection = ${connection} AND deleted_at IS NULL`);
  const counts = yield* rows(sql`SELECT status, count(*) AS total FROM sync_state WHERE connection = ${connection} GROUP BY status`);
  const managed = yield* first(sql`SELECT count(*) AS total FROM sync_state WHERE connection = ${connection} AND is_managed = ${true} AND account_status <> 'absent'`);
  const errors = yield* rows(sql`SELECT last_error_code, last_error_message, count(*) AS total FROM sync_state
    WHERE connection = ${connection} AND last_error_code IS NOT NULL
    GROUP BY last_error_code, last_error_message ORDER BY count(*) DESC, last_error_code LIMIT ${TOP_ERRORS}`);
  const byStatus = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<SyncStatus, number>;
  for (const row of counts) byStatus[String(row.status) as SyncStatus] = toNumber(row.total);
  return {
    connection,
    users: toNumber(users?.total ?? 0),
    managed: toNumber(managed?.total ?? 0),
    byStatus,
    topErrors: errors.map((row) => ({ code: String(row.last_error_code), message: String(row.last_error_message ?? ''), count: toNumber(row.total) })),
  };
}

/** Appends audit records (multi-row inserts, a few hundred rows per statement). */
export function* appendAudit(d: Dialect, records: readonly AuditRecord[]): Tx<void> {
  for (let i = 0; i < records.length; i += AUDIT_BATCH) {
    const values = records
      .slice(i, i + AUDIT_BATCH)
      .map((r) => sql`(${r.at}, ${r.connection}, ${r.userId}, ${d.json(r.requestIds)}, ${d.json(r.decision)})`);
    yield* exec(sql`INSERT INTO audit_log (at, connection, user_id, request_ids, decision) VALUES ${join(values, ', ')}`);
  }
}

/** Audit records, newest first. */
export function* listAudit(options: { connection?: string; userId?: string; since?: number; limit?: number }): Tx<AuditRecord[]> {
  const conditions: Sql[] = [sql`1 = 1`];
  if (options.connection !== undefined) conditions.push(sql`connection = ${options.connection}`);
  if (options.userId !== undefined) conditions.push(sql`user_id = ${options.userId}`);
  if (options.since !== undefined) conditions.push(sql`at >= ${options.since}`);
  const found = yield* rows(sql`SELECT id, at, connection, user_id, request_ids, decision FROM audit_log WHERE ${join(conditions, ' AND ')}
    ORDER BY at DESC, id DESC LIMIT ${Math.max(0, options.limit ?? 100)}`);
  return found.map(toAudit);
}

/** Deletes audit records older than `before`; returns how many. */
export function* purgeAudit(before: number): Tx<number> {
  return yield* exec(sql`DELETE FROM audit_log WHERE at < ${before}`);
}
