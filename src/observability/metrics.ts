import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TargetCallEvent } from '../connectors/http-client.js';
import type { Store } from '../directory/store.js';
import type { ConvergeOutcome } from '../sync/converge.js';
import type { ReconcileReport } from '../sync/reconciler.js';
import type { AccessMonitor } from './access-monitor.js';

/**
 * The bridge's Prometheus metrics: one registry per bridge (tests run several bridges in one
 * process, so never prom-client's global registry). Counters and histograms move through the
 * hooks the composition root wires (requests, job outcomes, target calls, reconcile reports);
 * gauges are read from the store at scrape time by {@link BridgeMetrics.render}. Every label
 * value comes from a small fixed set or from the configuration (connection names), never from
 * request input, so a client cannot blow up the series count.
 */

const PREFIX = 'scim_bridge_';
const fastBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const slowBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const scimResources = new Set(['Users', 'Groups', 'ServiceProviderConfig', 'ResourceTypes', 'Schemas', 'Bulk', 'Me']);
const driftKinds = new Set(['deleted-in-target', 'role-changed', 'orphaned', 'active-in-target']);

/** What gauges are read from at scrape time. */
export interface MetricsSources {
  store: Pick<Store, 'jobStats' | 'syncSummary' | 'notificationStats' | 'getUnmanagedReport'>;
  connections: readonly { name: string; drift: 'repair' | 'report' }[];
  /** Names of the configured webhooks (notify.webhooks). */
  webhooks?: readonly string[];
  reconciler: { readonly lastReports: ReadonlyMap<string, { at: number; accounts: number; error?: string }> };
  access: AccessMonitor;
}

/** The metrics of one bridge. */
export class BridgeMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources | null = null;
  private readonly counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name: PREFIX + name, help, labelNames, registers: [this.registry] });
  private readonly gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Gauge<L>({ name: PREFIX + name, help, labelNames, registers: [this.registry] });
  private readonly histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) =>
    new Histogram<L>({ name: PREFIX + name, help, labelNames, buckets, registers: [this.registry] });

  private readonly requests = this.counter('scim_requests_total', 'SCIM requests answered, by connection, resource, method and status.', ['connection', 'resource', 'method', 'status']);
  private readonly requestSeconds = this.histogram('scim_request_duration_seconds', 'SCIM request latency.', ['connection', 'resource', 'method'], fastBuckets);
  private readonly jobs = this.counter('sync_jobs_total', 'Convergence jobs finished, by result (synced, failed, unsupported, pending, gone, waiting, retry, held).', ['connection', 'result']);
  private readonly jobSeconds = this.histogram('sync_job_duration_seconds', 'Time to converge one user (all target calls included).', ['connection'], slowBuckets);
  private readonly retries = this.counter('sync_job_retries_total', 'Jobs put back for a later attempt after a transient error, by error code.', ['connection', 'code']);
  private readonly calls = this.counter('target_calls_total', 'Target API calls, by route template and outcome (ok or an error code).', ['connection', 'method', 'route', 'outcome']);
  private readonly callSeconds = this.histogram('target_call_duration_seconds', 'Target API call latency (one attempt).', ['connection', 'method', 'route'], slowBuckets);
  private readonly driftFound = this.counter('drift_found_total', 'Drift the reconciler found in the target, by kind.', ['connection', 'kind']);
  private readonly driftRepaired = this.counter('drift_repaired_total', 'Drift queued for repair (connections with drift: repair).', ['connection', 'kind']);
  private readonly links = this.counter('reconcile_links_total', 'Target accounts the reconciler linked to SCIM users (accepted invitations, matching accounts).', ['connection', 'kind']);
  private readonly outbox = this.gauge('outbox_jobs', 'Convergence jobs in the outbox, by state: pending (changes not yet applied), held (waiting for approve), failed (users failed for good, waiting out sync.failedRetryMs).', ['connection', 'state']);
  private readonly oldestAge = this.gauge('outbox_oldest_job_age_seconds', 'Age of the oldest pending job: due, in retry backoff or in flight; held and failed ones excluded (0 when none).', ['connection']);
  private readonly users = this.gauge('users', 'SCIM users with a sync state, by status.', ['connection', 'status']);
  private readonly directoryUsers = this.gauge('directory_users', 'Live SCIM users in the directory.', ['connection']);
  private readonly managed = this.gauge('managed_accounts', 'Target accounts the bridge created or adopted that still exist.', ['connection']);
  private readonly unmanaged = this.gauge('unmanaged_accounts', 'Target accounts no SCIM user stands behind, protected ones left out, at the last reconcile.', ['connection']);
  private readonly targetUp = this.gauge('target_access_ok', 'Whether the last access check of the target succeeded (1) or found a problem (0).', ['connection']);
  private readonly reconcileAt = this.gauge('reconcile_last_run_timestamp_seconds', 'When the reconciler last ran (Unix time).', ['connection']);
  private readonly reconcileOk = this.gauge('reconcile_last_run_ok', 'Whether the last reconcile succeeded.', ['connection']);
  private readonly reconcileAccounts = this.gauge('reconcile_target_accounts', 'Accounts the target listed at the last reconcile.', ['connection']);
  private readonly notifyPending = this.gauge('notify_pending', 'Notifications queued for a webhook and not delivered yet.', ['webhook']);
  private readonly notifyOldestAge = this.gauge('notify_oldest_age_seconds', 'Age of the oldest undelivered notification of a webhook (0 when none).', ['webhook']);
  private readonly storeUp = this.gauge('store_up', 'Whether the store answered the last scrape.', []);

  constructor(info: { version: string; store: string }) {
    collectDefaultMetrics({ register: this.registry });
    this.gauge('info', 'Build and store of this bridge (always 1).', ['version', 'store']).set(info, 1);
  }

  /** Where scrape-time gauges come from; set once everything is built. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** Counts one finished HTTP request; only SCIM requests are recorded. */
  recordRequest(request: { path: string; method: string; connection: string | undefined }, status: number, ms: number): void {
    const segments = request.path.split('?')[0]?.split('/') ?? [];
    if (segments[1] !== 'scim') return;
    const resource = scimResources.has(segments[4] ?? '') ? (segments[4] as string) : 'other';
    const connection = request.connection ?? 'none';
    const method = request.method.toUpperCase();
    this.requests.inc({ connection, resource, method, status: String(status) });
    this.requestSeconds.observe({ connection, resource, method }, ms / 1000);
  }

  /** Counts one finished convergence job (the engine's `onOutcome`). */
  recordOutcome(connection: string, outcome: ConvergeOutcome, ms: number): void {
    const result = outcome.result === 'done' ? outcome.status : outcome.result === 'wait' ? 'waiting' : outcome.result;
    this.jobs.inc({ connection, result });
    this.jobSeconds.observe({ connection }, ms / 1000);
    if (outcome.result === 'retry') this.retries.inc({ connection, code: outcome.error.code });
  }

  /** Counts one target call (the connectors' `onCall`). */
  recordCall(connection: string, event: TargetCallEvent): void {
    const labels = { connection, method: event.method, route: event.route };
    this.calls.inc({ ...labels, outcome: event.outcome });
    this.callSeconds.observe(labels, event.durationMs / 1000);
  }

  /** Counts what one reconcile found (the scheduler's `onReport`). */
  recordReconcile(report: ReconcileReport): void {
    const connection = report.connection;
    const isRepairing = this.sources?.connections.find((c) => c.name === connection)?.drift === 'repair';
    for (const item of report.drift) {
      if (!driftKinds.has(item.kind)) {
        this.links.inc({ connection, kind: item.kind });
        continue;
      }
      this.driftFound.inc({ connection, kind: item.kind });
      if (isRepairing) this.driftRepaired.inc({ connection, kind: item.kind });
    }
  }

  /** Reads the gauges' sources and renders the exposition text. */
  async render(): Promise<{ contentType: string; text: string }> {
    if (this.sources) await this.refresh(this.sources);
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private async refresh(sources: MetricsSources): Promise<void> {
    for (const { name } of sources.connections) {
      // Scrapes never wait on a target: report the cached answer and refresh it in the background.
      void sources.access.check(name);
      const access = sources.access.latest(name);
      if (access) this.targetUp.set({ connection: name }, access.ok ? 1 : 0);
      const last = sources.reconciler.lastReports.get(name);
      if (last) {
        this.reconcileAt.set({ connection: name }, Math.round(last.at / 1000));
        this.reconcileOk.set({ connection: name }, last.error === undefined ? 1 : 0);
        this.reconcileAccounts.set({ connection: name }, last.accounts);
      }
    }
    try {
      await this.refreshStore(sources);
      this.storeUp.set(1);
    } catch {
      this.storeUp.set(0);
    }
  }

  private async refreshStore(sources: MetricsSources): Promise<void> {
    const stats = await sources.store.jobStats();
    for (const { name } of sources.connections) {
      const queue = stats.find((s) => s.connection === name);
      this.outbox.set({ connection: name, state: 'pending' }, queue?.pending ?? 0);
      this.outbox.set({ connection: name, state: 'held' }, queue?.held ?? 0);
      this.outbox.set({ connection: name, state: 'failed' }, queue?.failed ?? 0);
      this.oldestAge.set({ connection: name }, (queue?.oldestAgeMs ?? 0) / 1000);
      const summary = await sources.store.syncSummary(name);
      for (const [status, count] of Object.entries(summary.byStatus)) this.users.set({ connection: name, status }, count);
      this.directoryUsers.set({ connection: name }, summary.users);
      this.managed.set({ connection: name }, summary.managed);
      // Absent until the first reconcile (or `scim-bridge unmanaged`) has looked: 0 would claim it had.
      const unmanaged = await sources.store.getUnmanagedReport(name, { limit: 0 });
      if (unmanaged) this.unmanaged.set({ connection: name }, unmanaged.total);
    }
    if ((sources.webhooks ?? []).length === 0) return;
    const waiting = await sources.store.notificationStats();
    for (const webhook of sources.webhooks ?? []) {
      const queued = waiting.find((s) => s.webhook === webhook);
      this.notifyPending.set({ webhook }, queued?.pending ?? 0);
      this.notifyOldestAge.set({ webhook }, (queued?.oldestAgeMs ?? 0) / 1000);
    }
  }
}
