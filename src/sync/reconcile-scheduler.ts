import type { Store } from '../directory/store.js';
import type { Logger } from '../logging/logger.js';
import type { SyncConnection } from './connection.js';
import { reconcileConnection, type ReconcileReport } from './reconciler.js';

/** Runs the reconciler every `intervalMs` (default 15 min) and prunes the audit log and coordination state; a start/stop resource. */
export class ReconcileScheduler {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<ReconcileReport[]> | null = null;
  private readonly abort = new AbortController();
  /** The last report per connection (status page, metrics). */
  readonly lastReports = new Map<string, ReconcileReport & { at: number; error?: string }>();

  constructor(
    private readonly options: {
      store: Store;
      connections: readonly SyncConnection[];
      logger: Logger;
      intervalMs: number;
      auditRetentionDays: number;
      onReport?: (report: ReconcileReport) => void;
    },
  ) {}

  /** Schedules runs; the first one after a short delay (30 s, or the interval if shorter) so start-up stays quick. */
  start(firstDelayMs = Math.min(30_000, this.options.intervalMs)): void {
    const schedule = (delay: number): void => {
      this.timer = setTimeout(() => {
        void this.runNow().finally(() => schedule(this.options.intervalMs));
      }, delay);
      this.timer.unref();
    };
    schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.current?.catch(() => undefined);
  }

  /** Reconciles every connection (or the named ones) now; one run at a time in this process. */
  runNow(names?: readonly string[]): Promise<ReconcileReport[]> {
    if (this.current) return this.current;
    this.current = this.run(names).finally(() => (this.current = null));
    return this.current;
  }

  private async run(names?: readonly string[]): Promise<ReconcileReport[]> {
    const { store, logger } = this.options;
    const reports: ReconcileReport[] = [];
    for (const connection of this.options.connections) {
      if (names && !names.includes(connection.name)) continue;
      // A role created or removed in the target shows in /Roles and counts for assigned rules from this pass on.
      await connection.roles?.refresh({ signal: this.abort.signal }).catch((err: unknown) =>
        logger.warn('cannot read the target roles', { connection: connection.name, error: err instanceof Error ? err.message : String(err) }),
      );
      try {
        const report = await reconcileConnection(store, connection, this.abort.signal);
        reports.push(report);
        this.lastReports.set(connection.name, { ...report, at: Date.now() });
        this.options.onReport?.(report);
        logger.info('reconciled', { connection: connection.name, accounts: report.accounts, drift: report.drift.length, queued: report.queued, unmanaged: report.unmanaged.accounts, skipped: report.skipped });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.lastReports.set(connection.name, { connection: connection.name, accounts: 0, drift: [], queued: 0, unmanaged: { accounts: 0, queued: 0 }, at: Date.now(), error: message });
        logger.warn('reconcile failed', { connection: connection.name, error: message });
      }
    }
    const purged = await store.purgeAudit(Date.now() - this.options.auditRetentionDays * 86_400_000).catch(() => 0);
    if (purged > 0) logger.info('audit log pruned', { records: purged });
    // Expired leases, refilled rate buckets, events out of every window: nothing reads them any more.
    await store.pruneCoordination().catch((err: unknown) => logger.error('cannot prune coordination state', { error: err instanceof Error ? err.message : String(err) }));
    return reports;
  }
}
