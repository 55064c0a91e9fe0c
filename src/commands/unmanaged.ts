import type { Store, UnmanagedAccount, UnmanagedReport } from '../directory/store.js';
import { surveyTarget } from '../sync/reconciler.js';
import { recordUnmanaged, unmanagedEmailOf } from '../sync/unmanaged.js';
import { plural, processIo, UsageError, withStore, type CliIo } from './context.js';
import { formatTime, renderTable, truncate } from './format.js';
import { openRuntime } from './runtime.js';

/**
 * `scim-bridge unmanaged`: the target accounts of a connection that no SCIM user stands behind
 * (protected accounts are never listed). Lists the target now, like the reconciler, and saves
 * the result as the connection's latest report (what /status and the metrics show); changes no
 * account and queues nothing: removals (`unmanaged: remove`) are the reconciler's. With
 * `--stored`, prints the latest saved report without calling the target.
 */

/** Options of `scim-bridge unmanaged`. */
export interface UnmanagedOptions {
  config?: string;
  connection: string;
  json?: boolean;
  stored?: boolean;
}

/** Where an account's removal stands in the outbox. */
type Removal = 'queued' | 'held' | null;

/** Runs `scim-bridge unmanaged`; returns the exit code. */
export async function unmanagedCommand(options: UnmanagedOptions, io: CliIo = processIo): Promise<number> {
  if (!options.connection) throw new UsageError('--connection is required');
  if (options.stored) {
    return withStore(options, async ({ store, connections: [connection] }) => {
      if (!connection) throw new UsageError('--connection is required');
      return print(io, options, connection.name, await store.getUnmanagedReport(connection.name), await removals(store, connection.name));
    });
  }
  const runtime = await openRuntime(options);
  try {
    const [connection] = runtime.connections;
    if (!connection) throw new UsageError('--connection is required');
    const survey = await surveyTarget(runtime.store, connection);
    await recordUnmanaged(runtime.store, connection, survey.unmanaged, { queue: false });
    return print(io, options, connection.name, await runtime.store.getUnmanagedReport(connection.name), await removals(runtime.store, connection.name));
  } finally {
    await runtime.close();
  }
}

/** The removal jobs of the connection's unmanaged accounts, by email. */
async function removals(store: Store, connection: string): Promise<Map<string, Removal>> {
  const jobs = await store.listJobs(connection, { limit: 1_000_000 });
  const found = new Map<string, Removal>();
  for (const job of jobs) {
    const email = unmanagedEmailOf(job.userId);
    if (email !== null) found.set(email, job.heldReason === null ? 'queued' : 'held');
  }
  return found;
}

function print(io: CliIo, options: UnmanagedOptions, connection: string, report: UnmanagedReport | null, jobs: ReadonlyMap<string, Removal>): number {
  const accounts = (report?.accounts ?? []).map((a) => ({ ...a, removal: jobs.get(a.email.toLowerCase()) ?? null }));
  if (options.json) {
    const body = report ? { ...report, accounts } : { connection, at: null, policy: null, total: null, accounts: [] };
    io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    io.stdout.write(report ? render(report, accounts) : `${connection}: no report yet: run "scim-bridge unmanaged --connection ${connection}" without --stored to list the target now\n`);
  }
  return 0;
}

function render(report: UnmanagedReport, accounts: (UnmanagedAccount & { removal: Removal })[]): string {
  const { connection } = report;
  const lines = [`${connection}: ${plural(report.total, 'target account')} nobody manages, as of ${formatTime(report.at)} (protected accounts are never listed)`];
  if (report.policy === 'report') lines.push('unmanaged: report: they are reported and left alone; "unmanaged: remove" in the mapping removes them through the mass-deprovisioning guard');
  else lines.push(`unmanaged: remove: the reconciler removes them through the mass-deprovisioning guard; held removals wait for "scim-bridge approve --connection ${connection}"`);
  if (accounts.length === 0) return `${lines.join('\n')}\n`;
  const rows = accounts.map((a) => [
    a.email,
    a.role ?? '-',
    a.accountStatus + (a.protection ? ` (${a.protection})` : ''),
    actionOf(a),
    formatTime(a.firstSeenAt),
  ]);
  return `${lines.join('\n')}\n\n${renderTable(['EMAIL', 'ROLE', 'STATUS', 'ACTION', 'FIRST SEEN'], rows)}`;
}

function actionOf(account: UnmanagedAccount & { removal: Removal }): string {
  if (account.action === 'report') return 'reported';
  if (account.action === 'keep') return truncate(`kept: ${account.note ?? ''}`, 80);
  if (account.removal === 'held') return 'removal held (approve)';
  return account.removal === 'queued' ? 'removal queued' : 'removed at the next reconcile';
}
