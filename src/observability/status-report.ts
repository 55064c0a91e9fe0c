import type { JobStats, Store, SyncSummary, UnmanagedReport } from '../directory/store.js';
import type { ReconcileReport } from '../sync/reconciler.js';
import { unmanagedEmailOf } from '../sync/unmanaged.js';
import type { AccessMonitor, AccessReport } from './access-monitor.js';

/**
 * Everything the status page shows, gathered as plain data (rendering is src/http/status-page.ts):
 * per connection, target access, sync counts with the top reasons, the outbox, held jobs and
 * why, the last reconcile, the accounts nobody manages and the most recent errors from the audit log.
 */

/** A user whose job the mass-deprovisioning guard holds. */
export interface HeldJob {
  userId: string;
  userName: string | null;
  reason: string;
  since: number;
}

/** A recent convergence that ended in an error. */
export interface RecentError {
  at: number;
  userId: string;
  /** Null when the user is gone from the directory. */
  userName: string | null;
  outcome: string;
  code: string;
  message: string;
}

/** One connection's status. */
export interface ConnectionStatus {
  name: string;
  type: string;
  mode: string;
  drift: string;
  access: AccessReport;
  /** Null when the store could not answer (`storeError` says why). */
  summary: SyncSummary | null;
  queue: JobStats | null;
  held: HeldJob[];
  reconcile: (ReconcileReport & { at: number; error?: string }) | null;
  /** The latest report of accounts nobody manages (the first few accounts; `total` counts all), null before the first reconcile. */
  unmanaged: UnmanagedReport | null;
  recentErrors: RecentError[];
  storeError?: string;
}

/** The whole status page. */
export interface StatusReport {
  generatedAt: number;
  version: string;
  store: string;
  connections: ConnectionStatus[];
}

/** What {@link collectStatus} reads. */
export interface StatusSources {
  version: string;
  /** A secret-free description of the store ("sqlite ./data/bridge.db"). */
  storeLabel: string;
  store: Pick<Store, 'jobStats' | 'syncSummary' | 'listJobs' | 'getUser' | 'listAudit' | 'getUnmanagedReport'>;
  connections: readonly { name: string; type: string; mode: string; drift: string }[];
  reconciler: { readonly lastReports: ReadonlyMap<string, ReconcileReport & { at: number; error?: string }> };
  access: AccessMonitor;
}

const HELD_SHOWN = 10;
const ERRORS_SHOWN = 10;
const UNMANAGED_SHOWN = 20;
const AUDIT_SCANNED = 200;

/** Gathers the status of every connection (targets are checked through the access cache). */
export async function collectStatus(sources: StatusSources, now = Date.now()): Promise<StatusReport> {
  const [accesses, stats] = await Promise.all([sources.access.checkAll(), sources.store.jobStats().catch(() => null)]);
  const connections = await Promise.all(
    sources.connections.map(async (connection, index): Promise<ConnectionStatus> => {
      const base = {
        ...connection,
        access: accesses[index] as AccessReport,
        reconcile: sources.reconciler.lastReports.get(connection.name) ?? null,
        queue: stats?.find((s) => s.connection === connection.name) ?? null,
      };
      try {
        const [summary, held, unmanaged, recentErrors] = await Promise.all([
          sources.store.syncSummary(connection.name),
          heldJobs(sources.store, connection.name),
          sources.store.getUnmanagedReport(connection.name, { limit: UNMANAGED_SHOWN }),
          recentErrorsOf(sources.store, connection.name),
        ]);
        return { ...base, summary, held, unmanaged, recentErrors };
      } catch (err) {
        return { ...base, summary: null, held: [], unmanaged: null, recentErrors: [], storeError: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return { generatedAt: now, version: sources.version, store: sources.storeLabel, connections };
}

async function heldJobs(store: StatusSources['store'], connection: string): Promise<HeldJob[]> {
  const jobs = await store.listJobs(connection, { held: true, limit: HELD_SHOWN });
  const names = await userNames(store, connection, jobs.map((job) => job.userId));
  return jobs.map((job) => ({ userId: job.userId, userName: names.get(job.userId) ?? unmanagedName(job.userId), reason: job.heldReason ?? 'held', since: job.heldAt ?? job.enqueuedAt }));
}

/** How the removal job of an account nobody manages is named where a user would be. */
function unmanagedName(jobId: string): string | null {
  const email = unmanagedEmailOf(jobId);
  return email === null ? null : `${email} (account nobody manages)`;
}

/** The userName of each id (deleted users included, as the job of a deletion still refers to them). */
async function userNames(store: StatusSources['store'], connection: string, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const users = await Promise.all(unique.map((id) => store.getUser(connection, id, { includeDeleted: true })));
  return new Map(users.flatMap((user) => (user ? [[user.id, user.userName] as [string, string]] : [])));
}

async function recentErrorsOf(store: StatusSources['store'], connection: string): Promise<RecentError[]> {
  const records = await store.listAudit({ connection, limit: AUDIT_SCANNED });
  const errors: Omit<RecentError, 'userName'>[] = [];
  for (const record of records) {
    const error = record.decision.error as { code?: unknown; message?: unknown } | undefined;
    if (!error || typeof error.code !== 'string') continue;
    const outcome = typeof record.decision.outcome === 'string' ? record.decision.outcome : 'unknown';
    errors.push({ at: record.at, userId: record.userId, outcome, code: error.code, message: String(error.message ?? '') });
    if (errors.length >= ERRORS_SHOWN) break;
  }
  const names = await userNames(store, connection, errors.map((error) => error.userId));
  return errors.map((error) => ({ ...error, userName: names.get(error.userId) ?? null }));
}
