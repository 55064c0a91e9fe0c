import { randomUUID } from 'node:crypto';
import type { JobReason } from '../model.js';
import type { ClaimedJob, ClaimOptions, HoldOutcome, JobLease, JobRow, JobStats, RetryOptions } from '../store.js';
import type { Dialect } from './dialect.js';
import { jobColumns, leaseTimes, toJob, toNumber } from './rows.js';
import { empty, raw, sql, type Sql } from './sql.js';
import { exec, first, rows, type Row, type Tx } from './tx.js';

/**
 * The outbox: one `sync_jobs` row per user, coalesced. Enqueueing is one upsert statement
 * whatever the number of users (a 10,000-member group change is one INSERT ... SELECT ... ON
 * CONFLICT), and it runs in the transaction of the write that caused it.
 *
 * Every time here (due, enqueued, lease) is on the database's clock (`d.now`), so replicas whose
 * clocks disagree still agree on which job is due and who holds it. Each claim gets a lease
 * token; completing, retrying and the sync-state writes of a job check it (fencing).
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
 * request id appended (last 10 kept), its oldest enqueued_at, is due now, is no longer parked
 * and keeps its hold.
 */
export function* enqueue(d: Dialect, connection: string, users: Sql, reason: Reason, requestId: string | undefined): Tx<number> {
  return yield* exec(enqueueStatement(d, connection, users, reason, requestId));
}

/** The statement of {@link enqueue}, for a caller that runs it inside another one (a data-modifying WITH). */
export function enqueueStatement(d: Dialect, connection: string, users: Sql, reason: Reason, requestId: string | undefined): Sql {
  const requestIds = requestId === undefined ? [] : [requestId];
  const current = raw('sync_jobs.request_ids');
  const appended = requestId === undefined ? current : d.appendCapped(current, requestId, MAX_REQUEST_IDS);
  // SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT to parse it (sqlite.org/lang_upsert.html).
  return sql`INSERT INTO sync_jobs (connection, user_id, generation, reason, request_ids, enqueued_at, available_at, attempts)
    SELECT CAST(${connection} AS TEXT), src.user_id, 1, CAST(${reason} AS TEXT), ${d.json(requestIds)}, ${d.now}, ${d.now}, 0
    FROM (${users}) AS src WHERE true
    ON CONFLICT (connection, user_id) DO UPDATE SET generation = sync_jobs.generation + 1, reason = excluded.reason, parked_at = NULL, approved_by = NULL,
      request_ids = ${appended},
      enqueued_at = ${d.least(raw('sync_jobs.enqueued_at'), raw('excluded.enqueued_at'))},
      available_at = ${d.least(raw('sync_jobs.available_at'), raw('excluded.available_at'))}`;
}

/** Enqueues the given users of a connection that exist (live or tombstoned), or all of them. */
export function* enqueueUsers(d: Dialect, connection: string, reason: Reason, userIds: readonly string[] | undefined, requestId?: string): Tx<number> {
  const only = userIds === undefined ? empty : sql` AND u.id IN (${d.list([...new Set(userIds)])})`;
  const users = sql`SELECT u.id AS user_id FROM users u WHERE u.connection = ${connection}${only}`;
  return yield* enqueue(d, connection, users, reason, requestId);
}

/** Adds due jobs under these ids (not SCIM users: unmanaged account removals); an id with a job keeps it untouched. */
export function* enqueueNew(d: Dialect, connection: string, jobIds: readonly string[]): Tx<number> {
  if (jobIds.length === 0) return 0;
  return yield* exec(sql`INSERT INTO sync_jobs (connection, user_id, generation, reason, request_ids, enqueued_at, available_at, attempts)
    SELECT CAST(${connection} AS TEXT), src.user_id, 1, 'reconcile', ${d.json([])}, ${d.now}, ${d.now}, 0
    FROM (${userIdList(d, jobIds)}) AS src WHERE true
    ON CONFLICT (connection, user_id) DO NOTHING`);
}

/** A claim's statement in two parts, `due` (the rows it picks) and `update` (the lease it sets on them, returning the job rows), and its lease token. */
export interface ClaimParts {
  due: Sql;
  update: Sql;
  leaseToken: string;
}

/**
 * The parts of a claim of due, unheld jobs whose lease is free or expired, oldest first, run as
 * one statement: `WITH due AS MATERIALIZED (due) update`. A materialized CTE picks the rows once.
 * As an IN (subquery), PostgreSQL may rescan the subquery per row; a rescan skips the row this
 * statement just updated and locks the next one, so a claim of 1 could take 2 (seen with a 2-row queue).
 */
export function claimParts(d: Dialect, connection: string, options: ClaimOptions): ClaimParts {
  const leaseToken = randomUUID();
  const due = sql`SELECT user_id FROM sync_jobs WHERE connection = ${connection} AND held_reason IS NULL AND available_at <= ${d.now}
    AND (locked_until IS NULL OR locked_until <= ${d.now}) ORDER BY available_at, user_id LIMIT ${Math.max(0, options.limit)}${d.lock.skipLocked}`;
  const update = sql`UPDATE sync_jobs SET locked_by = ${options.workerId}, locked_until = ${d.now} + ${options.leaseMs}, lease_token = ${leaseToken}
    WHERE connection = ${connection} AND user_id IN (SELECT user_id FROM due) RETURNING ${jobColumns}`;
  return { due, update, leaseToken };
}

/** The claimed jobs of a claim's rows, oldest first. */
export function claimedJobs(found: readonly Row[], options: ClaimOptions, leaseToken: string): ClaimedJob[] {
  return found
    .map((row) => ({ ...toJob(row), workerId: options.workerId, leaseToken, ...leaseTimes(row, options.leaseMs) }))
    .sort((a, b) => a.availableAt - b.availableAt || (a.userId < b.userId ? -1 : 1));
}

/**
 * How long until the first of these jobs can be claimed (due and its lease free), on the
 * database's clock: 0 when one can be now, null when none of them is left unheld and unparked.
 */
export function* claimableIn(d: Dialect, connection: string, userIds: readonly string[]): Tx<number | null> {
  if (userIds.length === 0) return null;
  const row = yield* first(sql`SELECT MIN(${d.greatest(raw('available_at'), raw('COALESCE(locked_until, 0)'))}) - ${d.now} AS wait
    FROM sync_jobs WHERE connection = ${connection} AND user_id IN (${d.list([...new Set(userIds)])}) AND held_reason IS NULL AND parked_at IS NULL`);
  const wait = row?.wait;
  return wait === null || wait === undefined ? null : Math.max(0, toNumber(wait));
}

/** Extends the leases of these claims (a live worker renews; a killed one's leases run out). */
export function* renewLeases(d: Dialect, connection: string, leaseTokens: readonly string[], leaseMs: number): Tx<number> {
  if (leaseTokens.length === 0) return 0;
  return yield* exec(sql`UPDATE sync_jobs SET locked_until = ${d.now} + ${leaseMs}
    WHERE connection = ${connection} AND lease_token IN (${d.list(leaseTokens)})`);
}

/** The job row a lease holds (a condition on `sync_jobs`). */
export const leased = (lease: JobLease): Sql => sql`connection = ${lease.connection} AND user_id = ${lease.userId} AND lease_token = ${lease.leaseToken}`;
const unleased = raw('locked_by = NULL, locked_until = NULL, lease_token = NULL');

/** Deletes a job if its lease holds it and nothing changed since it was claimed. */
export function* deleteJob(job: ClaimedJob): Tx<boolean> {
  return (yield* exec(sql`DELETE FROM sync_jobs WHERE ${leased(job)} AND generation = ${job.generation}`)) > 0;
}

/** Frees a job's lease, if it still holds it (the job stays as due as it was). */
export function* freeLease(job: ClaimedJob): Tx<number> {
  return yield* exec(sql`UPDATE sync_jobs SET ${unleased} WHERE ${leased(job)}`);
}

/** Deletes a job if nothing changed since it was claimed; otherwise frees its lease (it is due already). */
export function* completeJob(job: ClaimedJob): Tx<boolean> {
  if (yield* deleteJob(job)) return true;
  yield* freeLease(job);
  return false;
}

/**
 * Frees a job for a later attempt; a change that arrived while it ran makes it due now, whatever
 * the backoff, and keeps it unparked.
 */
export function* retryJob(d: Dialect, job: ClaimedJob, retry: RetryOptions): Tx<boolean> {
  const delay = Math.max(0, Math.round(retry.delayMs));
  const parked = retry.parked === true ? sql`CASE WHEN generation = ${job.generation} THEN ${d.now} ELSE NULL END` : raw('NULL');
  const changed = yield* exec(sql`UPDATE sync_jobs SET attempts = attempts + 1,
    available_at = CASE WHEN generation = ${job.generation} THEN ${d.now} + ${delay} ELSE ${d.now} END, parked_at = ${parked},
    last_error = ${retry.lastError.slice(0, MAX_ERROR_LENGTH)}, pending_handle = ${retry.pendingHandle ?? null}, ${unleased}
    WHERE ${leased(job)}`);
  return changed > 0;
}

/** Forgets the job's pending target write once it is final, if its lease still holds it and it still keeps that one. */
export function* settlePending(job: ClaimedJob, handle: string): Tx<boolean> {
  return (yield* exec(sql`UPDATE sync_jobs SET pending_handle = NULL WHERE ${leased(job)} AND pending_handle = ${handle}`)) > 0;
}

/** Whether `lease` still holds its job, locking the row until the transaction ends (a claim skips it meanwhile). */
export function* holdsLease(d: Dialect, lease: JobLease): Tx<boolean> {
  return (yield* rows(sql`SELECT user_id FROM sync_jobs WHERE ${leased(lease)}${d.lock.update}`)).length > 0;
}

/**
 * Holds a claimed job, if its lease still holds it and nothing changed since it was claimed (the
 * guard decided on that change, not on a newer one); the lease stays with the job. A job held
 * already keeps the time it was first held.
 */
export function* holdJob(d: Dialect, job: ClaimedJob, reason: string): Tx<HoldOutcome> {
  const held = yield* exec(sql`UPDATE sync_jobs SET held_reason = ${reason}, held_at = COALESCE(held_at, ${d.now})
    WHERE ${leased(job)} AND generation = ${job.generation}`);
  if (held > 0) return 'held';
  // Refused: say why, so a run that lost its lease is logged and audited as such.
  return (yield* holdsLease(d, job)) ? 'changed' : 'lease-lost';
}

/**
 * Releases held jobs (all of a connection, or these users); they are due at once and carry the
 * reason `approved`, which the mass-deprovisioning guard lets through, and who approved them. A
 * newer change to the user replaces the reason, so the guard looks at it again. The users' sync
 * states say `held` no more: `pending` until a worker converges them (/status, the SCIM
 * extension and `status` agree with the queue at once).
 */
export function* releaseJobs(d: Dialect, connection: string, userIds: readonly string[] | undefined, approvedBy: string | null): Tx<number> {
  const only = userIds === undefined ? empty : sql` AND user_id IN (${d.list(userIds)})`;
  const held = (yield* rows(sql`SELECT user_id FROM sync_jobs WHERE connection = ${connection} AND held_reason IS NOT NULL${only}${d.lock.update}`)).map((row) => String(row.user_id));
  if (held.length === 0) return 0;
  const released = yield* exec(sql`UPDATE sync_jobs SET held_reason = NULL, held_at = NULL, reason = 'approved', parked_at = NULL, approved_by = ${approvedBy},
    available_at = ${d.least(raw('available_at'), d.now)}
    WHERE connection = ${connection} AND user_id IN (${d.list(held)})`);
  yield* exec(sql`UPDATE sync_state SET status = 'pending', updated_at = ${d.now}
    WHERE connection = ${connection} AND status = 'held' AND user_id IN (${d.list(held)})`);
  return released;
}

/**
 * Queue figures per connection: pending counts unheld, unparked jobs, in flight included; the
 * oldest is the oldest of those whether due, waiting out a retry backoff or in flight, so a target
 * that keeps failing transiently shows a growing age (a due-only age drops to 0 while every job
 * sits in backoff). Parked jobs (users failed for good, waiting out the long heal backoff) are
 * counted apart as `failed`: they need a person, not a faster target, and would otherwise make a
 * healthy bridge look stuck for hours.
 */
export function* jobStats(d: Dialect): Tx<JobStats[]> {
  const isPending = raw('held_reason IS NULL AND parked_at IS NULL');
  const found = yield* rows(sql`SELECT connection,
      SUM(CASE WHEN ${isPending} THEN 1 ELSE 0 END) AS pending,
      SUM(CASE WHEN held_reason IS NULL THEN 0 ELSE 1 END) AS held,
      SUM(CASE WHEN held_reason IS NULL AND parked_at IS NOT NULL THEN 1 ELSE 0 END) AS failed,
      ${d.now} - MIN(CASE WHEN ${isPending} THEN enqueued_at END) AS oldest_age
    FROM sync_jobs GROUP BY connection ORDER BY connection`);
  return found.map((row) => ({
    connection: String(row.connection),
    pending: toNumber(row.pending),
    held: toNumber(row.held),
    failed: toNumber(row.failed),
    oldestAgeMs: row.oldest_age === null || row.oldest_age === undefined ? null : Math.max(0, toNumber(row.oldest_age)),
  }));
}

/** Jobs of a connection in queue order; `held` picks held or unheld ones. */
export function* listJobs(connection: string, options: { held?: boolean; limit?: number } = {}): Tx<JobRow[]> {
  const held = options.held === undefined ? empty : raw(options.held ? ' AND held_reason IS NOT NULL' : ' AND held_reason IS NULL');
  const found = yield* rows(sql`SELECT ${jobColumns} FROM sync_jobs WHERE connection = ${connection}${held}
    ORDER BY available_at, user_id LIMIT ${Math.max(0, options.limit ?? 1000)}`);
  return found.map(toJob);
}
