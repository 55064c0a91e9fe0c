import type { Store } from '../directory/store.js';
import type { SyncConnection } from '../sync/connection.js';
import { SyncEngine } from '../sync/engine.js';
import { reconcileConnection, type ReconcileReport } from '../sync/reconciler.js';
import { plural, processIo, type CliIo } from './context.js';
import { startProgress } from './progress.js';
import { collectChanges, renderChanges, type UserChanges } from './sync-changes.js';
import { openRuntime, type RuntimeOptions } from './runtime.js';
import { renderDetails } from './status.js';
import { isUnsettled, readStatuses, type ConnectionStatus } from './summary.js';

/**
 * `scim-bridge sync`: converge and reconcile now, in this process, with the same engine the
 * bridge runs. Per connection: run what is already queued (approved jobs keep their approval),
 * queue every user and run them, reconcile (list the target, link, find drift), and run what
 * the reconcile queued. Safe beside a running bridge: jobs are leased, never run twice at once.
 */

/** What one connection's sync did. */
interface SyncRun {
  jobs: number;
  reconcile: (ReconcileReport & { error?: undefined }) | { error: string };
  /** When the run of this connection started (epoch ms), and what its audit records say it changed. */
  since: number;
  changes: UserChanges[];
}

/** Runs `scim-bridge sync`; returns 0 when every user converged, 2 when some are pending, failed or held. */
export async function syncCommand(options: RuntimeOptions, io: CliIo = processIo): Promise<number> {
  const runtime = await openRuntime(options);
  const { store, logger, connections } = runtime;
  const engine = new SyncEngine({ store, connections, logger });
  try {
    const runs = new Map<string, SyncRun>();
    for (const connection of connections) runs.set(connection.name, await syncConnection(engine, store, connection, io));
    const statuses = await readStatuses(store, connections);
    io.stdout.write('\n');
    for (const status of statuses) io.stdout.write(renderRun(status, runs.get(status.connection)));
    const isSettled = statuses.every((s) => !isUnsettled(s)) && [...runs.values()].every((r) => r.reconcile.error === undefined);
    return isSettled ? 0 : 2;
  } finally {
    await engine.stop(1_000);
    await runtime.close();
  }
}

async function syncConnection(engine: SyncEngine, store: Store, connection: SyncConnection, io: CliIo): Promise<SyncRun> {
  const since = Date.now();
  const label = (phase: string): string => `${connection.name}: ${phase}`;
  // Approved jobs run first: `enqueueJobs` would replace their reason and the guard would hold
  // them again. Other queued jobs simply coalesce with the new ones (their request ids stay).
  const queued = await store.listJobs(connection.name, { held: false, limit: 1_000_000 });
  let jobs = queued.some((j) => j.reason === 'approved') ? await drain(engine, store, connection.name, label('approved changes'), io) : 0;
  await store.enqueueJobs(connection.name, 'reconcile');
  jobs += await drain(engine, store, connection.name, label('converging every user'), io);
  let reconcile: SyncRun['reconcile'];
  try {
    reconcile = await reconcileConnection(store, connection);
  } catch (err) {
    reconcile = { error: err instanceof Error ? err.message : String(err) };
  }
  const isQueued = reconcile.error === undefined && (reconcile.queued > 0 || reconcile.unmanaged.queued > 0);
  const phase = reconcile.error === undefined && reconcile.unmanaged.queued > 0 ? 'repairing drift, removing accounts nobody manages' : 'repairing drift';
  if (isQueued) jobs += await drain(engine, store, connection.name, label(phase), io);
  return { jobs, reconcile, since, changes: await collectChanges(store, connection.name, since) };
}

/** Runs every due job of a connection with a progress display. */
async function drain(engine: SyncEngine, store: Store, connection: string, label: string, io: CliIo): Promise<number> {
  const total = (await store.jobStats()).find((s) => s.connection === connection)?.pending ?? 0;
  const progress = startProgress(io.stdout, label, total);
  const done = await engine.drain([connection], (n) => progress.update(n));
  progress.finish(done);
  return done;
}

function renderRun(status: ConnectionStatus, run: SyncRun | undefined): string {
  const lines = [`${status.connection} (${status.type}): ${plural(run?.jobs ?? 0, 'job')} run`];
  if (run) lines.push(...renderChanges(run.changes, status.connection, run.since));
  const reconcile = run?.reconcile;
  if (reconcile?.error !== undefined) lines.push(`  reconcile failed: ${reconcile.error}`);
  else if (reconcile?.skipped) lines.push('  reconcile skipped: another process is reconciling this connection');
  else if (reconcile) {
    // The reconcile runs after every user was converged: what it finds is what converging left.
    const found = reconcile.drift.length === 0 ? 'no drift left' : `${plural(reconcile.drift.length, 'drift or link item')} left, ${reconcile.queued} queued`;
    lines.push(`  reconcile, after converging: ${plural(reconcile.accounts, 'account')} in the target, ${found}`);
    const { unmanaged } = reconcile;
    if (unmanaged.accounts > 0) {
      const queued = unmanaged.queued > 0 ? `, ${unmanaged.queued} queued for removal` : '';
      lines.push(`  ${plural(unmanaged.accounts, 'account')} nobody manages${queued} (scim-bridge unmanaged --connection ${status.connection})`);
    }
  }
  lines.push(`  users ${status.users}: synced ${status.synced}, pending ${status.pending}, failed ${status.failed}, unsupported ${status.unsupported}, held ${status.held}`);
  if (reconcile?.error === undefined && reconcile) {
    for (const item of reconcile.drift.slice(0, 20)) lines.push(`  ${item.kind}: ${item.email} (${item.detail})`);
    if (reconcile.drift.length > 20) lines.push(`  … and ${reconcile.drift.length - 20} more`);
  }
  return `${lines.join('\n')}\n${renderDetails(status)}\n`;
}
