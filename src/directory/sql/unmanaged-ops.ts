import type { UnmanagedAccount, UnmanagedReport, UnmanagedReportInput } from '../store.js';
import { toNumber } from './rows.js';
import { empty, join, sql } from './sql.js';
import { exec, first, rows, type Tx } from './tx.js';

/**
 * The latest report of accounts nobody manages, per connection: a header row and one row per
 * account, replaced whole by each report (one transaction), so readers never see half of one.
 */

const BATCH = 500;
const accountColumns = sql`email, target_id, name, role, account_status, protection, action, note, first_seen_at`;

/** Replaces a connection's report; accounts already listed keep their first-seen time. */
export function* putUnmanagedReport(report: UnmanagedReportInput): Tx<void> {
  const { connection, at } = report;
  const seen = yield* rows(sql`SELECT email_ci, first_seen_at FROM unmanaged_accounts WHERE connection = ${connection}`);
  const since = new Map(seen.map((row) => [String(row.email_ci), toNumber(row.first_seen_at)]));
  yield* exec(sql`DELETE FROM unmanaged_accounts WHERE connection = ${connection}`);
  const unique = new Map(report.accounts.map((a) => [a.email.toLowerCase(), a]));
  const accounts = [...unique];
  for (let i = 0; i < accounts.length; i += BATCH) {
    const values = accounts.slice(i, i + BATCH).map(([ci, a]) =>
      sql`(${connection}, ${ci}, ${a.email}, ${a.targetId}, ${a.name}, ${a.role}, ${a.accountStatus}, ${a.protection}, ${a.action}, ${a.note}, ${since.get(ci) ?? at})`);
    yield* exec(sql`INSERT INTO unmanaged_accounts (connection, email_ci, ${accountColumns}) VALUES ${join(values, ', ')}`);
  }
  yield* exec(sql`INSERT INTO unmanaged_reports (connection, reported_at, policy, total) VALUES (${connection}, ${at}, ${report.policy}, ${unique.size})
    ON CONFLICT (connection) DO UPDATE SET reported_at = excluded.reported_at, policy = excluded.policy, total = excluded.total`);
}

/** A connection's latest report, its accounts by email (at most `limit`). */
export function* getUnmanagedReport(connection: string, limit: number | undefined): Tx<UnmanagedReport | null> {
  const header = yield* first(sql`SELECT reported_at, policy, total FROM unmanaged_reports WHERE connection = ${connection}`);
  if (header === undefined) return null;
  const found = yield* rows(sql`SELECT ${accountColumns} FROM unmanaged_accounts WHERE connection = ${connection}
    ORDER BY email_ci${limit === undefined ? empty : sql` LIMIT ${Math.max(0, limit)}`}`);
  return {
    connection,
    at: toNumber(header.reported_at),
    policy: String(header.policy) === 'remove' ? 'remove' : 'report',
    total: toNumber(header.total),
    accounts: found.map(toUnmanagedAccount),
  };
}

function toUnmanagedAccount(row: Record<string, unknown>): UnmanagedAccount {
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
  return {
    email: String(row.email),
    targetId: text(row.target_id),
    name: text(row.name),
    role: text(row.role),
    accountStatus: String(row.account_status) as UnmanagedAccount['accountStatus'],
    protection: row.protection === 'last-admin' ? 'last-admin' : null,
    action: String(row.action) as UnmanagedAccount['action'],
    note: text(row.note),
    firstSeenAt: toNumber(row.first_seen_at),
  };
}
