import type { AuditRecord, Store } from '../directory/store.js';
import { unmanagedEmailOf } from '../sync/unmanaged.js';
import { parseAuditDecision } from './audit-format.js';
import { plural, processIo, UsageError, withStore, type CliIo } from './context.js';
import { formatTime, renderTable, truncate } from './format.js';
import { userNames } from './users.js';

/**
 * `scim-bridge held`: what the mass-deprovisioning guard (or the last-admin rule) holds in one
 * connection, for whom, why and since when, and what releasing it would do to the account (the
 * plan the worker recorded when it held the job). Reads the store only; changes nothing.
 */

/** Options of `scim-bridge held`. */
export interface HeldOptions {
  config?: string;
  connection: string;
  json?: boolean;
}

/** One held job, as `held` and `approve --dry-run` show it. */
export interface HeldUser {
  userId: string;
  /** Null when the directory no longer knows the user. */
  userName: string | null;
  reason: string;
  /** When the job was held (epoch ms). */
  since: number;
  /** What releasing it would do ("delete the account"), as the worker planned it; null when not recorded. */
  action: string | null;
  /** The target account the plan would touch. */
  account: { email: string; role: string | null } | null;
}

/** Reads every held job of a connection with what it would do, oldest hold first. */
export async function readHeld(store: Store, connection: string): Promise<HeldUser[]> {
  const jobs = await store.listJobs(connection, { held: true, limit: 1_000_000 });
  const names = await userNames(store, connection, jobs.map((job) => job.userId));
  const held: HeldUser[] = [];
  for (const job of jobs) {
    const plan = planOf(await store.listAudit({ connection, userId: job.userId, limit: 5 }));
    // The removal of an account nobody manages goes by the account's email.
    held.push({ userId: job.userId, userName: names.get(job.userId) ?? unmanagedEmailOf(job.userId), reason: job.heldReason ?? 'held', since: job.heldAt ?? job.enqueuedAt, ...plan });
  }
  return held.sort((a, b) => a.since - b.since || (a.userId < b.userId ? -1 : 1));
}

/** The plan of the newest record that held the user (newest first in `records`). */
function planOf(records: readonly AuditRecord[]): Pick<HeldUser, 'action' | 'account'> {
  for (const record of records) {
    const decision = parseAuditDecision(record);
    if (decision?.outcome !== 'held') continue;
    const before = decision.before ?? null;
    return { action: decision.plan?.summary ?? null, account: before ? { email: before.email, role: before.role ?? null } : null };
  }
  return { action: null, account: null };
}

/** Runs `scim-bridge held`; returns the exit code. */
export async function heldCommand(options: HeldOptions, io: CliIo = processIo): Promise<number> {
  if (!options.connection) throw new UsageError('--connection is required');
  return withStore(options, async ({ store, connections: [connection] }) => {
    if (!connection) throw new UsageError('--connection is required');
    const held = await readHeld(store, connection.name);
    if (options.json) io.stdout.write(`${JSON.stringify({ connection: connection.name, held: held.map(toJson) }, null, 2)}\n`);
    else io.stdout.write(renderHeld(connection.name, held));
    return 0;
  });
}

/** A held user as JSON: times in ISO 8601. */
export function toJson(user: HeldUser): Record<string, unknown> {
  return { ...user, since: formatTime(user.since) };
}

/** The held users as a table, the reasons below it (they are long and usually shared), and what to do next. */
export function renderHeld(connection: string, held: readonly HeldUser[], heading = `${plural(held.length, 'held job')} in ${connection}`): string {
  if (held.length === 0) return `nothing is held in ${connection}\n`;
  const reasons = [...new Set(held.map((user) => user.reason))];
  const rows = held.map((user) => [
    user.userName ?? '(user gone)',
    user.userId,
    user.action ?? '(not recorded)',
    user.account ? `${user.account.email}${user.account.role ? ` (${user.account.role})` : ''}` : '-',
    formatTime(user.since),
    `#${reasons.indexOf(user.reason) + 1}`,
  ]);
  const why = reasons.map((reason, i) => `  #${i + 1} ${truncate(reason, 400)}\n`).join('');
  return `${heading}:\n${renderTable(['USER', 'USER ID', 'WOULD', 'ACCOUNT', 'HELD SINCE', 'WHY'], rows)}why:\n${why}`;
}
