import { randomUUID } from 'node:crypto';
import type { ClaimedNotification, NotificationClaim, NotificationInput, NotificationRetry, NotificationStats } from '../store.js';
import type { Dialect } from './dialect.js';
import { fromJson, toNumber } from './rows.js';
import { raw, sql, type Sql } from './sql.js';
import { exec, rows, type Row, type Tx } from './tx.js';

/**
 * The notification outbox (`notify_outbox`, migration 8): one row per event and webhook,
 * written before anyone is told, deleted only once the receiver answered 2xx. Claims are leased
 * like sync jobs (a dispatcher killed mid-delivery leaves a lease that runs out, and the row is
 * delivered again: at least once), every time on the database's clock.
 */

const MAX_ERROR_LENGTH = 1000;
const columns = raw('id, webhook, event, created_at, available_at, attempts, last_error, locked_until');

function toClaimed(row: Row, leaseToken: string): ClaimedNotification {
  return {
    id: String(row.id),
    webhook: String(row.webhook),
    event: fromJson<Record<string, unknown>>(row.event),
    createdAt: toNumber(row.created_at),
    availableAt: toNumber(row.available_at),
    attempts: toNumber(row.attempts),
    lastError: row.last_error === null || row.last_error === undefined ? null : String(row.last_error),
    leaseToken,
    ageMs: Math.max(0, toNumber(row.now) - toNumber(row.created_at)),
  };
}

/** Inserts one row per item, due now; an id already queued (the same event enqueued twice) is kept once. */
export function* enqueueNotifications(d: Dialect, items: readonly NotificationInput[]): Tx<number> {
  let inserted = 0;
  for (const item of items) {
    inserted += yield* exec(sql`INSERT INTO notify_outbox (id, webhook, event, created_at, available_at, attempts)
      VALUES (${item.id}, ${item.webhook}, ${d.json(item.event)}, ${d.now}, ${d.now}, 0) ON CONFLICT (id) DO NOTHING`);
  }
  return inserted;
}

/** Claims a webhook's due rows whose lease is free or expired, oldest first, in one statement. */
export function* claimNotifications(d: Dialect, webhook: string, claim: NotificationClaim): Tx<ClaimedNotification[]> {
  const leaseToken = randomUUID();
  const due = sql`SELECT id FROM notify_outbox WHERE webhook = ${webhook} AND available_at <= ${d.now}
    AND (locked_until IS NULL OR locked_until <= ${d.now}) ORDER BY created_at, id LIMIT ${Math.max(0, claim.limit)}${d.lock.skipLocked}`;
  // Materialized, as in job-ops.ts claimParts: the due rows are picked once.
  const claimed = yield* rows(sql`WITH due AS MATERIALIZED (${due})
    UPDATE notify_outbox SET lease_token = ${leaseToken}, locked_until = ${d.now} + ${Math.max(1, Math.round(claim.leaseMs))}
    WHERE id IN (SELECT id FROM due) RETURNING ${columns}, ${d.now} AS now`);
  return claimed.map((row) => toClaimed(row, leaseToken)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

/** The rows of these claims that their leases still hold. */
function held(d: Dialect, claims: readonly ClaimedNotification[]): Sql {
  const tokens = [...new Set(claims.map((c) => c.leaseToken))];
  return sql`id IN (${d.list(claims.map((c) => c.id))}) AND lease_token IN (${d.list(tokens)})`;
}

/** Deletes delivered (or given up) rows this claim still holds; returns how many. */
export function* completeNotifications(d: Dialect, claims: readonly ClaimedNotification[]): Tx<number> {
  if (claims.length === 0) return 0;
  return yield* exec(sql`DELETE FROM notify_outbox WHERE ${held(d, claims)}`);
}

/** Frees claimed rows, due again after `delayMs`; an attempt counts one more attempt and records its error. */
export function* retryNotifications(d: Dialect, claims: readonly ClaimedNotification[], retry: NotificationRetry): Tx<number> {
  if (claims.length === 0) return 0;
  const attempts = retry.isAttempt ? raw('attempts + 1') : raw('attempts');
  const lastError = retry.lastError === null ? raw('last_error') : sql`${retry.lastError.slice(0, MAX_ERROR_LENGTH)}`;
  return yield* exec(sql`UPDATE notify_outbox SET attempts = ${attempts}, last_error = ${lastError},
    available_at = ${d.now} + ${Math.max(0, Math.round(retry.delayMs))}, lease_token = NULL, locked_until = NULL
    WHERE ${held(d, claims)}`);
}

/** Rows waiting per webhook, and the age of the oldest (for status and metrics). */
export function* notificationStats(d: Dialect): Tx<NotificationStats[]> {
  const found = yield* rows(sql`SELECT webhook, count(*) AS pending, ${d.now} - MIN(created_at) AS oldest_age, MAX(attempts) AS attempts
    FROM notify_outbox GROUP BY webhook ORDER BY webhook`);
  return found.map((row) => ({
    webhook: String(row.webhook),
    pending: toNumber(row.pending),
    oldestAgeMs: Math.max(0, toNumber(row.oldest_age)),
    maxAttempts: toNumber(row.attempts),
  }));
}
