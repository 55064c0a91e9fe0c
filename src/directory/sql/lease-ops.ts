import { randomUUID } from 'node:crypto';
import type { ClaimedJob, LeasedJob, LeaseOptions, SyncState, TargetLock } from '../store.js';
import type { Dialect } from './dialect.js';
import { jobColumns, leaseTimes, toJob, toNumber, toSyncState } from './rows.js';
import { findSyncStatesByTargetEmail, stateColumns } from './sync-ops.js';
import { raw, sql, type Sql } from './sql.js';
import { exec, first, rows, type Tx } from './tx.js';

/**
 * Leases beside the worker's claims: strict mode takes the lease of one user's job (creating the
 * row when the user has none), and a leased job locks its target keys (the account's emails and
 * id) in `sync_target_locks`. A key lock is live only while the job row it names is held by the
 * same lease (its token), so it is renewed with the lease and lapses with it: nothing else to
 * clean up after a crash, and no replica can hold a key longer than a lease. Times are on the
 * database's clock (`d.now`), like the claims in job-ops.ts.
 */

/** Takes the lease on one user's job, inserting a due row when there is none; null when another lease is live. */
export function* leaseJob(d: Dialect, connection: string, userId: string, options: LeaseOptions): Tx<LeasedJob | null> {
  const leaseToken = randomUUID();
  const key = sql`connection = ${connection} AND user_id = ${userId}`;
  const lease = sql`locked_by = ${options.workerId}, locked_until = ${d.now} + ${options.leaseMs}, lease_token = ${leaseToken}`;
  const current = yield* first(sql`SELECT ${jobColumns} FROM sync_jobs WHERE ${key}${d.lock.update}`);
  if (current === undefined) {
    // Due now: when the holder dies, the worker takes the row once the lease runs out (a re-run is safe).
    const inserted = yield* exec(sql`INSERT INTO sync_jobs (connection, user_id, generation, reason, request_ids, enqueued_at, available_at, attempts,
        locked_by, locked_until, lease_token)
      VALUES (${connection}, ${userId}, 1, 'reconcile', ${d.json([])}, ${d.now}, ${d.now}, 0, ${options.workerId}, ${d.now} + ${options.leaseMs}, ${leaseToken})
      ON CONFLICT (connection, user_id) DO NOTHING`);
    if (inserted === 0) return null;
    const row = yield* first(sql`SELECT ${jobColumns} FROM sync_jobs WHERE ${key}`);
    return row === undefined ? null : { ...toJob(row), workerId: options.workerId, leaseToken, ...leaseTimes(row, options.leaseMs), isNew: true };
  }
  const taken = yield* first(sql`UPDATE sync_jobs SET ${lease} WHERE ${key} AND (locked_until IS NULL OR locked_until <= ${d.now}) RETURNING ${jobColumns}`);
  if (taken === undefined) return null;
  return { ...toJob(taken), workerId: options.workerId, leaseToken, ...leaseTimes(taken, options.leaseMs), isNew: false };
}

/** Frees a lease and leaves the job as it was; `delayMs` postpones it, unless a newer change arrived. */
export function* releaseJob(d: Dialect, job: ClaimedJob, delayMs: number | undefined): Tx<void> {
  yield* exec(sql`DELETE FROM sync_target_locks WHERE connection = ${job.connection} AND user_id = ${job.userId} AND lease_token = ${job.leaseToken}`);
  const later = delayMs === undefined ? raw('available_at') : sql`CASE WHEN generation = ${job.generation} THEN ${d.now} + ${Math.max(0, Math.round(delayMs))} ELSE available_at END`;
  yield* exec(sql`UPDATE sync_jobs SET available_at = ${later}, locked_by = NULL, locked_until = NULL, lease_token = NULL
    WHERE connection = ${job.connection} AND user_id = ${job.userId} AND lease_token = ${job.leaseToken}`);
}

/** A lock row (of `table`, the locks table or its alias) is live while its job row is held by the lease that took it. */
function isLive(d: Dialect, table: string): Sql {
  const l = raw(table);
  return sql`EXISTS (SELECT 1 FROM sync_jobs j WHERE j.connection = ${l}.connection AND j.user_id = ${l}.user_id
    AND j.lease_token = ${l}.lease_token AND j.locked_until > ${d.now})`;
}

/**
 * Locks the keys for a leased job: drops the job's keys it no longer wants, and takes each
 * wanted key that is free, lapsed, or its own already. Returns the user id of another job
 * holding one of them live, or null when every key is the job's. One statement on PostgreSQL
 * (one round trip; two on SQLite, in one transaction). The caller releases its lease when another
 * job holds a key, which lapses any key it took meanwhile. (A completed job's rows stay until
 * someone needs the key or the user's next job locks; its lease token is gone from the job row,
 * so they read as lapsed.)
 */
export function* lockTargets(d: Dialect, job: ClaimedJob, keys: readonly string[]): Tx<string | null> {
  return (yield* lockTargetsAndClaims(d, job, keys, undefined)).holder;
}

/**
 * {@link lockTargets}, and, once every key is the job's, the sync states whose target email is
 * `claimsOf` (the claimant check of a create: read under the locks, in the locking statement on
 * PostgreSQL, so a create costs no round trip of its own for it; in the same transaction on SQLite).
 */
export function* lockTargetsAndClaims(d: Dialect, job: ClaimedJob, keys: readonly string[], claimsOf: string | undefined): Tx<TargetLock> {
  const { connection, userId, leaseToken } = job;
  const wanted = [...new Set(keys)];
  // Only while the job's own lease is live: a run that lost it (its worker stalled past it) takes
  // no key and drops none of the new holder's, so it reaches no target with the input its claim read.
  const isLeaseLive = sql`EXISTS (SELECT 1 FROM sync_jobs j WHERE j.connection = ${connection} AND j.user_id = ${userId}
    AND j.lease_token = ${leaseToken} AND j.locked_until > ${d.now})`;
  const claimsRead = (): Tx<SyncState[]> => (claimsOf === undefined ? none() : findSyncStatesByTargetEmail(connection, claimsOf));
  if (wanted.length === 0) {
    yield* exec(sql`DELETE FROM sync_target_locks WHERE connection = ${connection} AND user_id = ${userId} AND ${isLeaseLive}`);
    return { holder: null, claims: yield* claimsRead() };
  }
  const list = d.list(wanted);
  const dropOlder = sql`DELETE FROM sync_target_locks WHERE connection = ${connection} AND user_id = ${userId} AND target_key NOT IN (${list}) AND ${isLeaseLive}`;
  // A lapsed lock is taken over in place; a live one of another job is left (not counted). The jobs
  // of one claim share a lease token: a lock is the job's own by its user and token together.
  const take = sql`INSERT INTO sync_target_locks (connection, target_key, user_id, lease_token)
    SELECT CAST(${connection} AS TEXT), value, CAST(${userId} AS TEXT), CAST(${leaseToken} AS TEXT) FROM (${list}) AS keys WHERE ${isLeaseLive}
    ON CONFLICT (connection, target_key) DO UPDATE SET user_id = excluded.user_id, lease_token = excluded.lease_token
    WHERE (sync_target_locks.user_id = excluded.user_id AND sync_target_locks.lease_token = excluded.lease_token) OR NOT ${isLive(d, 'sync_target_locks')}`;
  let taken = 0;
  let claims: SyncState[] | null = null;
  if (d.writesInWith && claimsOf !== undefined) {
    // One statement: the lock, and beside it the states of the email (one row of NULLs when none).
    const found = yield* rows(sql`WITH deleted AS (${dropOlder}), taken AS (${take} RETURNING 1)
      SELECT (SELECT count(*) FROM taken) AS taken_count, ${stateColumns} FROM (SELECT 1 AS one) AS one
      LEFT JOIN sync_state ON sync_state.connection = ${connection} AND sync_state.target_email_ci = ${claimsOf.toLowerCase()} ORDER BY user_id`);
    taken = toNumber(found[0]?.taken_count ?? 0);
    claims = found.filter((row) => row.status !== null && row.status !== undefined).map(toSyncState);
  } else {
    for (const statement of d.beside(dropOlder, take)) taken = yield* exec(statement);
  }
  if (taken === wanted.length) return { holder: null, claims: claims ?? (yield* claimsRead()) };
  const holders = yield* rows(sql`SELECT user_id FROM sync_target_locks WHERE connection = ${connection} AND target_key IN (${list})
    AND user_id <> ${userId} ORDER BY user_id LIMIT 1`);
  // A holder that let go between the two statements, or a lost lease, still made this attempt lose: try again later.
  return { holder: holders[0] === undefined ? 'another job' : String(holders[0].user_id), claims: [] };
}

/** A unit of work that reads nothing. */
function* none(): Tx<SyncState[]> {
  return [];
}
