import type { JobReason } from '../model.js';
import type { ClaimedJob, ClaimOptions, JobRow, JobStats } from '../store.js';
import type { Dialect } from './dialect.js';
import { jobColumns, toJob, toNumber } from './rows.js';
import { empty, raw, sql, type Sql } from './sql.js';
import { exec, rows, type Tx } from './tx.js';

/**
 * The outbox: one `sync_jobs` row per user, coalesced. Enqueueing is one upsert statement
 * whatever the number of users (a 10,000-member group change is one INSERT ... SELECT ... ON
 * CONFLICT), and it runs in the transaction of the write that caused it.
 */

const MAX_REQUEST_IDS = 10;
const MAX_ERROR_LENGTH = 2000;

type Reason = JobReason | 'reconcile';

/** A user-id source for {@link enqueue}: the given ids (de-duplicated), as a query with a `user_id` column. */
export function userIdList(d: Dialect, ids: Iterable<string>): Sql {
  return sql`SELECT value AS user_id FROM (${d.list([...new Set(ids)])}) AS ids`;
}

/**
 * Upserts the jobs of the users `users` yields (a query with one column, `user_id`, no
 * duplicates): a new row is due now; an existing one gets generation + 1, the new reason, the
 * request id appended (last 10 kept), its oldest enqueued_at, is due now and keeps its hold.
 */
export function* enqueue(d: Dialect, connection: string, users: Sql, reason: Reason, requestId: string | undefined, now: number): Tx<number> {
  const requestIds = requestId === undefined ? [] : [requestId];
  const current = raw('sync_jobs.request_ids');
  const appended = requestId === undefined ? current : d.appendCapped(current, requestId, MAX_REQUEST_IDS);
  // SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT to parse it (sqlite.org/lang_upsert.html).
  return yield* exec(sql`INSERT INTO sync_jobs (connection, user_id, generation, reason, request_ids, enqueued_at, available_at, attempts)
    SELECT CAST(${connection} AS TEXT), src.user_id, 1, CAST(${reason} AS TEXT), ${d.json(requestIds)}, CAST(${now} AS BIGINT), CAST(${now} AS BIGINT), 0
    FROM (${users}) AS src WHERE true
    ON CONFLICT (connection, user_id) DO UPDATE SET generation = sync_jobs.generation + 1, reason = excluded.reason,
      request_ids = ${appended},
      enqueued_at = ${d.least(raw('sync_jobs.enqueued_at'), raw('excluded.enqueued_at'))},
      available_at = ${d.least(raw('sync_jobs.available_at'), raw('excluded.available_at'))}`);
}

/** Enqueues the given users of a connection that exist (live or tombstoned), or all of them. */
export function* enqueueUsers(d: Dialect, connection: string, reason: Reason, userIds: readonly string[] | undefined, requestId?: string): Tx<number> {
  const only = userIds === undefined ? empty : sql` AND u.id IN (${d.list([...new Set(userIds)])})`;
  const users = sql`SELECT u.id AS user_id FROM users u WHERE u.connection = ${connection}${only}`;
  return yield* enqueue(d, connection, users, reason, requestId, Date.now());
}

/** Claims due, unheld jobs whose lease is free or expired, oldest first. */
export function* claimJobs(d: Dialect, connection: string, options: ClaimOptions): Tx<ClaimedJob[]> {
  const now = options.now ?? Date.now();
  const leaseUntil = now + options.leaseMs;
  const due = sql`SELECT user_id FROM sync_jobs WHERE connection = ${connection} AND held_reason IS NULL AND available_at <= ${now}
    AND (locked_until IS NULL OR locked_until <= ${now}) ORDER BY available_at, user_id LIMIT ${Math.max(0, options.limit)}${d.lock.skipLocked}`;
  const claimed = yield* rows(sql`UPDATE sync_jobs SET locked_by = ${options.workerId}, locked_until = ${leaseUntil}
    WHERE connection = ${connection} AND user_id IN (${due}) RETURNING ${jobColumns}`);
  return claimed
    .map(toJob)
    .sort((a, b) => a.availableAt - b.availableAt || (a.userId < b.userId ? -1 : 1))
    .map((job) => ({ ...job, workerId: options.workerId, leaseUntil }));
}

/** Extends this worker's leases on these jobs (a live worker renews; a killed one's leases run out). */
export function* renewLeases(d: Dialect, connection: string, workerId: string, userIds: readonly string[], leaseUntil: number): Tx<number> {
  if (userIds.length === 0) return 0;
  return yield* exec(sql`UPDATE sync_jobs SET locked_until = ${leaseUntil}
    WHERE connection = ${connection} AND locked_by = ${workerId} AND user_id IN (${d.list(userIds)})`);
}

/** Deletes a job if nothing changed since it was claimed; otherwise frees its lease (it is due already). */
export function* completeJob(job: ClaimedJob): Tx<boolean> {
  const key = sql`connection = ${job.connection} AND user_id = ${job.userId}`;
  const deleted = yield* exec(sql`DELETE FROM sync_jobs WHERE ${key} AND generation = ${job.generation} AND locked_by = ${job.workerId}`);
  if (deleted > 0) return true;
  yield* exec(sql`UPDATE sync_jobs SET locked_by = NULL, locked_until = NULL WHERE ${key} AND locked_by = ${job.workerId}`);
  return false;
}

/** Frees a job for a later attempt. */
export function* retryJob(job: ClaimedJob, retryAt: number, lastError: string): Tx<void> {
  yield* exec(sql`UPDATE sync_jobs SET attempts = attempts + 1, available_at = ${retryAt}, last_error = ${lastError.slice(0, MAX_ERROR_LENGTH)},
    locked_by = NULL, locked_until = NULL
    WHERE connection = ${job.connection} AND user_id = ${job.userId} AND locked_by = ${job.workerId}`);
}

/** Holds the jobs of these users. */
export function* holdJobs(d: Dialect, connection: string, userIds: readonly string[], reason: string): Tx<void> {
  if (userIds.length === 0) return;
  yield* exec(sql`UPDATE sync_jobs SET held_reason = ${reason} WHERE connection = ${connection} AND user_id IN (${d.list(userIds)})`);
}

/**
 * Releases held jobs (all of a connection, or these users); they are due at once and carry the
 * reason `approved`, which the mass-deprovisioning guard lets through. A newer change to the
 * user replaces the reason, so the guard looks at it again.
 */
export function* releaseJobs(d: Dialect, connection: string, userIds: readonly string[] | undefined): Tx<number> {
  const only = userIds === undefined ? empty : sql` AND user_id IN (${d.list(userIds)})`;
  const now = Date.now();
  return yield* exec(sql`UPDATE sync_jobs SET held_reason = NULL, reason = 'approved', available_at = ${d.least(raw('available_at'), sql`CAST(${now} AS BIGINT)`)}
    WHERE connection = ${connection} AND held_reason IS NOT NULL${only}`);
}

/**
 * Queue figures per connection: pending counts unheld jobs, in flight included; the oldest is the
 * oldest unheld job whether due, waiting out a retry backoff or in flight, so a target that keeps
 * failing shows a growing age (a due-only age drops to 0 while every job sits in backoff).
 */
export function* jobStats(): Tx<JobStats[]> {
  const now = Date.now();
  const found = yield* rows(sql`SELECT connection,
      SUM(CASE WHEN held_reason IS NULL THEN 1 ELSE 0 END) AS pending,
      SUM(CASE WHEN held_reason IS NULL THEN 0 ELSE 1 END) AS held,
      MIN(CASE WHEN held_reason IS NULL THEN enqueued_at END) AS oldest
    FROM sync_jobs GROUP BY connection ORDER BY connection`);
  return found.map((row) => ({
    connection: String(row.connection),
    pending: toNumber(row.pending),
    held: toNumber(row.held),
    oldestAgeMs: row.oldest === null || row.oldest === undefined ? null : Math.max(0, now - toNumber(row.oldest)),
  }));
}

/** Jobs of a connection in queue order; `held` picks held or unheld ones. */
export function* listJobs(connection: string, options: { held?: boolean; limit?: number } = {}): Tx<JobRow[]> {
  const held = options.held === undefined ? empty : raw(options.held ? ' AND held_reason IS NOT NULL' : ' AND held_reason IS NULL');
  const found = yield* rows(sql`SELECT ${jobColumns} FROM sync_jobs WHERE connection = ${connection}${held}
    ORDER BY available_at, user_id LIMIT ${Math.max(0, options.limit ?? 1000)}`);
  return found.map(toJob);
}
