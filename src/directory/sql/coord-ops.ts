import type { SlidingWindow, TokenBucket, WindowCount } from '../coordination.js';
import type { Dialect } from './dialect.js';
import { toNumber } from './rows.js';
import { raw, sql, type Sql } from './sql.js';
import { exec, first, rows, type Tx } from './tx.js';

/**
 * The {@link Coordination} primitives in SQL both databases run, every time on `d.now`. A token
 * bucket is one row holding its GCRA "theoretical arrival time" (tat): a token is free when
 * tat - tolerance <= now, and taking one moves tat one emission interval on. A lease is one row
 * with its holder and end. A sliding window is its events, under a row that serialises counting.
 */

const double = (value: number): Sql => sql`CAST(${value} AS DOUBLE PRECISION)`;

/** Takes (or reserves) one token; returns how long to wait, 0 when it was free now. */
export function* takeToken(d: Dialect, key: string, bucket: TokenBucket): Tx<number> {
  const interval = 1000 / bucket.ratePerSecond;
  const tolerance = interval * (Math.max(1, bucket.burst) - 1);
  // Both SET expressions see the row as it was, so `taken` says whether this call moved tat.
  const isFree = bucket.reserve === true ? raw('1 = 1') : sql`coord_buckets.tat - ${double(tolerance)} <= ${d.now}`;
  const row = yield* first(sql`INSERT INTO coord_buckets (name, tat, taken) VALUES (${key}, ${d.now} + ${double(interval)}, TRUE)
    ON CONFLICT (name) DO UPDATE SET
      tat = CASE WHEN ${isFree} THEN ${d.greatest(raw('coord_buckets.tat'), d.now)} + ${double(interval)} ELSE coord_buckets.tat END,
      taken = CASE WHEN ${isFree} THEN TRUE ELSE FALSE END
    RETURNING tat, taken, ${d.now} AS now`);
  const tat = Number(row?.tat);
  const now = toNumber(row?.now);
  if (Boolean(row?.taken)) return Math.max(0, Math.ceil(tat - interval - tolerance - now));
  return Math.max(1, Math.ceil(tat - tolerance - now));
}

/** Takes or extends a lease; true when `holder` has it now. */
export function* acquireLease(d: Dialect, name: string, holder: string, ttlMs: number): Tx<boolean> {
  const changed = yield* exec(sql`INSERT INTO coord_leases (name, holder, until) VALUES (${name}, ${holder}, ${d.now} + ${Math.max(1, Math.round(ttlMs))})
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
    WHERE coord_leases.holder = excluded.holder OR coord_leases.until <= ${d.now}`);
  return changed > 0;
}

/** Releases a lease `holder` still has. */
export function* releaseLease(name: string, holder: string): Tx<void> {
  yield* exec(sql`DELETE FROM coord_leases WHERE name = ${name} AND holder = ${holder}`);
}

/** Counts one event if the window has room. */
export function* countInWindow(d: Dialect, key: string, window: SlidingWindow): Tx<WindowCount> {
  const windowMs = Math.max(1, Math.round(window.windowMs));
  // Upserting the window's row locks it until commit (PostgreSQL): concurrent counts of one key queue here.
  yield* exec(sql`INSERT INTO coord_windows (name, touched_at) VALUES (${key}, ${d.now}) ON CONFLICT (name) DO UPDATE SET touched_at = excluded.touched_at`);
  yield* exec(sql`DELETE FROM coord_events WHERE name = ${key} AND at <= ${d.now} - ${windowMs}`);
  const counted = yield* first(sql`SELECT count(*) AS total FROM coord_events WHERE name = ${key}`);
  const count = toNumber(counted?.total ?? 0);
  if (count < window.limit) {
    yield* exec(sql`INSERT INTO coord_events (name, at, expires_at) VALUES (${key}, ${d.now}, ${d.now} + ${windowMs})`);
    return { counted: true, count: count + 1, retryAfterMs: 0 };
  }
  // Room comes back when the event that makes the window full expires.
  const [oldest] = yield* rows(sql`SELECT at + ${windowMs} - ${d.now} AS wait FROM coord_events WHERE name = ${key}
    ORDER BY at LIMIT 1 OFFSET ${Math.max(0, count - Math.max(1, window.limit))}`);
  return { counted: false, count, retryAfterMs: Math.max(1, toNumber(oldest?.wait ?? 1)) };
}

/** Forgets the window's events. */
export function* resetWindow(key: string): Tx<void> {
  yield* exec(sql`DELETE FROM coord_events WHERE name = ${key}`);
}

/** Deletes expired leases, full buckets (the same as absent ones) and expired events; returns how many rows. */
export function* pruneCoordination(d: Dialect): Tx<number> {
  let deleted = yield* exec(sql`DELETE FROM coord_leases WHERE until <= ${d.now}`);
  deleted += yield* exec(sql`DELETE FROM coord_buckets WHERE tat <= ${d.now}`);
  deleted += yield* exec(sql`DELETE FROM coord_events WHERE expires_at <= ${d.now}`);
  deleted += yield* exec(sql`DELETE FROM coord_windows WHERE NOT EXISTS (SELECT 1 FROM coord_events e WHERE e.name = coord_windows.name)`);
  return deleted;
}
