import type { ClaimedJob, LeasedJob, LeaseOptions } from '../store.js';
import type { Dialect } from './dialect.js';
import { jobColumns, toJob } from './rows.js';
import { sql, type Sql } from './sql.js';
import { exec, first, rows, type Tx } from './tx.js';

/**
 * Leases beside the worker's claims: strict mode takes the lease of one user's job (creating the
 * row when the user has none), and a leased job locks its target keys (the account's emails and
 * id) in `sync_target_locks`. A key lock is live only while the job row it names is leased by the
 * same worker, so it is renewed with the lease and lapses with it: nothing else to clean up after
 * a crash, and no replica can hold a key longer than a lease.
 */

/** Takes the lease on one user's job, inserting a due row when there is none; null when another lease is live. */
export function* leaseJob(d: Dialect, connection: string, userId: string, options: LeaseOptions): Tx<LeasedJob | null> {
  const now = options.now ?? Date.now();
  const leaseUntil = now + options.leaseMs;
  const key = sql`connection = ${connection} AND user_id = ${userId}`;
  const current = yield* first(sql`SELECT ${jobColumns} FROM sync_jobs WHERE ${key}${d.lock.update}`);
  if (current === undefined) {
    // Due now: when the holder dies, the worker takes the row once the lease runs out (a re-run is safe).
    const inserted = yield* exec(sql`INSERT INTO sync_jobs (connection, user_id, generation, reason, request_ids, enqueued_at, available_at, attempts,
        locked_by, locked_until)
      VALUES (${connection}, ${userId}, 1, 'reconcile', ${d.json([])}, ${now}, ${now}, 0, ${options.workerId}, ${leaseUntil})
      ON CONFLICT (connection, user_id) DO NOTHING`);
    if (inserted === 0) return null;
    const row = yield* first(sql`SELECT ${jobColumns} FROM sync_jobs WHERE ${key}`);
    return row === undefined ? null : { ...toJob(row), workerId: options.workerId, leaseUntil, isNew: true };
  }
  const lockedUntil = current.locked_until;
  if (lockedUntil !== null && lockedUntil !== undefined && Number(lockedUntil) > now) return null;
  yield* exec(sql`UPDATE sync_jobs SET locked_by = ${options.workerId}, locked_until = ${leaseUntil} WHERE ${key}`);
  return { ...toJob(current), workerId: options.workerId, leaseUntil, isNew: false };
}

/** Frees a lease and leaves the job as it was; `availableAt` postpones it, unless a newer change arrived. */
export function* releaseJob(job: ClaimedJob, availableAt: number | undefined): Tx<void> {
  yield* exec(sql`DELETE FROM sync_target_locks WHERE connection = ${job.connection} AND user_id = ${job.userId} AND worker_id = ${job.workerId}`);
  const later = availableAt === undefined ? sql`available_at` : sql`CASE WHEN generation = ${job.generation} THEN ${availableAt} ELSE available_at END`;
  yield* exec(sql`UPDATE sync_jobs SET available_at = ${later}, locked_by = NULL, locked_until = NULL
    WHERE connection = ${job.connection} AND user_id = ${job.userId} AND locked_by = ${job.workerId}`);
}

/** A lock row is live while its job row is leased by the worker that took it. */
function isLive(now: number): Sql {
  return sql`EXISTS (SELECT 1 FROM sync_jobs j WHERE j.connection = l.connection AND j.user_id = l.user_id
    AND j.locked_by = l.worker_id AND j.locked_until > ${now})`;
}

/**
 * Locks the keys for a leased job: drops the job's older keys and any lapsed lock on these,
 * then takes each free one. Returns the user id of another job holding one of them live, or
 * null when every key is the job's. The caller releases its lease when another job holds a key,
 * which lapses any key it took meanwhile. (A completed job's rows stay until someone needs the key
 * or the user's next job locks: should the same worker claim that user again, they read as live
 * until then, which costs another job at most a short wait.)
 */
export function* lockTargets(d: Dialect, job: ClaimedJob, keys: readonly string[], now: number): Tx<string | null> {
  const { connection, userId, workerId } = job;
  const wanted = [...new Set(keys)];
  yield* exec(sql`DELETE FROM sync_target_locks WHERE connection = ${connection} AND user_id = ${userId}`);
  if (wanted.length === 0) return null;
  const list = d.list(wanted);
  yield* exec(sql`DELETE FROM sync_target_locks AS l WHERE l.connection = ${connection} AND l.target_key IN (${list}) AND NOT ${isLive(now)}`);
  const taken = yield* exec(sql`INSERT INTO sync_target_locks (connection, target_key, user_id, worker_id)
    SELECT CAST(${connection} AS TEXT), value, CAST(${userId} AS TEXT), CAST(${workerId} AS TEXT) FROM (${list}) AS keys WHERE true
    ON CONFLICT (connection, target_key) DO NOTHING`);
  if (taken === wanted.length) return null;
  const holders = yield* rows(sql`SELECT user_id FROM sync_target_locks WHERE connection = ${connection} AND target_key IN (${list})
    AND user_id <> ${userId} ORDER BY user_id LIMIT 1`);
  // A holder that let go between the two statements still made this attempt lose: try again later.
  return holders[0] === undefined ? 'another job' : String(holders[0].user_id);
}
