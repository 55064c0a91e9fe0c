import { Router } from 'express';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { LoadedConfig } from './config/load.js';
import type { Simulator } from './connectors/simulator-kit.js';
import type { ConnectorType } from './connectors/types.js';
import { openMigratedStore } from './directory/create-store.js';
import type { Store } from './directory/store.js';
import { BridgeError, isBridgeError } from './errors.js';
import { adminAccess, adminAccessMode, adminCaller } from './http/admin-access.js';
import { createApp } from './http/app.js';
import { createSharedAuthFailureLimiter } from './http/auth-failures.js';
import { clientErrorHandler } from './http/client-error.js';
import { listenTracked } from './net/listen.js';
import { namedWebhooks } from './config/notify-schema.js';
import { NotificationDispatcher, type DispatcherOptions } from './notify/dispatcher.js';
import { createWebhookNotifier } from './notify/webhook-notifier.js';
import { silentNotifier, type SyncNotifier } from './sync/notifier.js';
import { createAccessTokens } from './http/access-tokens.js';
import { createAuthenticator } from './http/auth.js';
import { metricsHandler } from './http/metrics.js';
import type { ScimConnection } from './http/scim-router.js';
import { statusPageHandler } from './http/status-page.js';
import type { OAuthConnection } from './http/token-endpoint.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createAccessMonitor, type AccessMonitor, type AccessReport } from './observability/access-monitor.js';
import { BridgeMetrics } from './observability/metrics.js';
import { targetReadinessChecks } from './observability/readiness.js';
import { bridgeVersion, describeStore, startupSummary } from './observability/startup.js';
import { collectStatus } from './observability/status-report.js';
import { buildSyncConnections, loadMappings } from './sync/build.js';
import type { SyncConnection } from './sync/connection.js';
import type { ConvergeOutcome } from './sync/converge.js';
import { retryFailedUsers, type HealReason } from './sync/heal.js';
import { SyncEngine } from './sync/engine.js';
import { ReconcileScheduler } from './sync/reconcile-scheduler.js';
import { createSyncedDirectory } from './sync/synced-directory.js';

/**
 * The composition root: config → logger → store → connections → app → listen. Nothing else
 * builds long-lived objects; everything is passed down from here.
 */

/** Options of {@link startBridge}. */
export interface StartOptions {
  /** A logger to use instead of building one from the config (tests pass one that captures lines). */
  logger?: Logger;
  /** A store to use instead of opening config.store (tests share one). */
  store?: Store;
  /** In-process simulators to mount at /sandbox/<type> (the sandbox). */
  simulators?: ReadonlyMap<ConnectorType, Simulator>;
  /** Overrides config.listen.port (0 picks a free port). */
  port?: number;
  /** Run the sync worker and the reconciler (default true; tests may drive the engine by hand). */
  runWorkers?: boolean;
  /** Sync engine tuning (tests shorten the poll and recheck intervals). */
  engine?: { pollMs?: number; invitationRecheckMs?: number; invitationFirstCheckMs?: number; leaseMs?: number; retryBaseMs?: number; strictLeaseWaitMs?: number; busyRetryMs?: number };
  /** How long a target access check is reused by /readyz, /status and /metrics (default 10 s). */
  accessCacheMs?: number;
  /** How often a connection whose access check failed is checked again, to retry its failed users on recovery (default 60 s). */
  accessWatchMs?: number;
  /** The clock of OAuth access tokens (tests check expiry with a fake one). */
  clock?: () => number;
  /** Webhook delivery tuning (tests shorten the poll and the retry backoff). */
  notify?: Pick<DispatcherOptions, 'pollMs' | 'retryBaseMs' | 'maxRetryMs' | 'timeoutMs' | 'summarizeAbove'>;
}

/** A running bridge. */
export interface RunningBridge {
  url: string;
  server: http.Server | https.Server;
  store: Store;
  logger: Logger;
  engine: SyncEngine;
  reconciler: ReconcileScheduler;
  /** Delivers queued notifications to the configured webhooks. */
  notifications: NotificationDispatcher;
  app: ReturnType<typeof createApp>;
  metrics: BridgeMetrics;
  /** Cached target access checks (readiness, status page). */
  access: AccessMonitor;
  /** Stops accepting, finishes in-flight requests, closes the store. */
  close(): Promise<void>;
}

/** Starts the bridge for a validated configuration. */
export async function startBridge(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningBridge> {
  const { config } = loaded;
  const logger = options.logger ?? createLogger({ level: config.log.level, ...(config.log.format ? { format: config.log.format } : {}), secrets: loaded.secrets });
  const version = bridgeVersion();
  const metrics = new BridgeMetrics({ version, store: describeStore(config.store).kind });
  // Mappings are checked before the database is touched; the store then coordinates the limits every replica shares.
  loadMappings(loaded.connections);
  const store = options.store ?? (await openMigratedStore(config.store, { logger }));
  if (options.store) await store.migrate();
  const webhooks = namedWebhooks(config.notify);
  const notifications = new NotificationDispatcher({ store, webhooks, logger, ...options.notify });
  const notifier: SyncNotifier = webhooks.length > 0 ? createWebhookNotifier({ store, webhooks, logger, secrets: loaded.secrets }) : silentNotifier;
  const syncConnections = buildSyncConnections(loaded.connections, { logger, coordination: store, notifier, onCall: (name, event) => metrics.recordCall(name, event) });
  const access = createAccessMonitor(syncConnections, {
    ...(options.accessCacheMs === undefined ? {} : { ttlMs: options.accessCacheMs }),
    onChange: (report) => onAccessChange(report),
    onFailing: (report) => void notifier.emit({ kind: 'target-unreachable', connection: report.connection, at: report.checkedAt, message: report.problems.join('; ') || 'the access check failed', details: { problems: report.problems } }),
  });
  const onOutcome = (name: string, outcome: ConvergeOutcome, ms: number): void => {
    metrics.recordOutcome(name, outcome, ms);
    // A write refused for its credentials (or a target away for good): check access now, so its recovery is seen.
    if (outcome.result === 'failed' && (outcome.error.code === 'TARGET_AUTH' || outcome.error.isTransient)) void access.suspect(name);
  };
  const engine = new SyncEngine({ store, connections: syncConnections, logger, onOutcome, ...options.engine });
  const heal = (connection: SyncConnection, reason: HealReason): void => {
    retryFailedUsers(store, connection, reason).then(
      (queued) => queued > 0 && engine.wake(connection.name),
      (err: unknown) => connection.logger.error('cannot queue failed users again', { reason, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  const onAccessChange = (report: AccessReport): void => {
    const connection = syncConnections.find((c) => c.name === report.connection);
    if (!connection) return;
    if (!report.ok) return void connection.logger.warn('target access failing', { problems: report.problems });
    connection.logger.info('target access restored', { identity: report.identity });
    if (options.runWorkers !== false) heal(connection, 'access-restored');
  };
  const reconciler = new ReconcileScheduler({
    store,
    connections: syncConnections,
    logger,
    intervalMs: config.reconcile.intervalMs,
    auditRetentionDays: config.reconcile.auditRetentionDays,
    onReport: (report) => metrics.recordReconcile(report),
  });
  metrics.attach({ store, connections: syncConnections, reconciler, access, webhooks: webhooks.map((hook) => hook.name) });
  const directory = createSyncedDirectory(store, engine);
  const accessTokens = config.http.tokenSigningKey ? createAccessTokens(config.http.tokenSigningKey, options.clock ? { now: options.clock } : {}) : undefined;
  const connections = new Map<string, ScimConnection>();
  const oauthConnections = new Map<string, OAuthConnection>();
  for (const connection of loaded.connections) {
    const oauth = accessTokens ? { connection: connection.name, accessTokens } : undefined;
    // /Roles reads the sync layer's role cache through this one method: the SCIM side never reaches a connector.
    const roles = syncConnections.find((c) => c.name === connection.name)?.roles;
    connections.set(connection.name, {
      name: connection.name,
      authenticator: createAuthenticator(connection.scim, oauth),
      directory,
      ...(roles ? { roles: { snapshot: () => roles.snapshot() } } : {}),
    });
    if (connection.scim.oauth) oauthConnections.set(connection.name, { name: connection.name, clients: connection.scim.oauth });
  }
  const guard = adminAccess({ host: config.listen.host, adminToken: config.http.adminToken });
  const storeLabel = Object.values(describeStore(config.store)).join(' ');
  const collect = () => collectStatus({ version, storeLabel, store, connections: syncConnections, reconciler, access });
  let draining = false;
  const app = createApp({
    authFailures: createSharedAuthFailureLimiter(store, logger),
    logger,
    connections,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    bodyLimit: config.http.bodyLimit,
    requestsPerMinute: config.http.requestsPerMinute,
    trustProxy: config.http.trustProxy,
    ...(accessTokens && oauthConnections.size > 0 ? { oauth: { connections: oauthConnections, accessTokens } } : {}),
    readiness: [{ name: 'store', critical: true, check: () => store.ping() }, ...targetReadinessChecks(access, syncConnections.map((c) => c.name))],
    callerOf: adminCaller({ host: config.listen.host, adminToken: config.http.adminToken }),
    mounts: [
      ...[...(options.simulators ?? new Map<ConnectorType, Simulator>())].map(([type, simulator]) => ({ path: `/sandbox/${type}`, handler: simulator.app })),
      { path: '/metrics', handler: Router().get('/', guard, metricsHandler({ metrics, secrets: loaded.secrets, logger })) },
      { path: '/status', handler: Router().get('/', guard, statusPageHandler({ collect, secrets: loaded.secrets })) },
    ],
    // The sandbox's simulators answer the bridge's own target calls: their access lines are debug.
    quietPaths: [...(options.simulators?.keys() ?? [])].map((type) => `/sandbox/${type}/`),
    onRequest: (req, res, ms) => metrics.recordRequest({ path: req.originalUrl, method: req.method, connection: req.scimConnection }, res.statusCode, ms),
    isDraining: () => draining,
  });
  // Held while serving: copy-store refuses to copy a store a bridge still writes (store-lock.ts).
  const storeLock = await store.lock('serve').catch(async (err: unknown) => {
    if (!options.store) await store.close().catch(() => undefined);
    throw servingRefused(err, store.dialect);
  });
  const { server, sockets } = await listen(app, config, options.port).catch(async (err: unknown) => {
    await storeLock.release();
    throw err;
  });
  let stopWatching = (): void => undefined;
  server.on('clientError', clientErrorHandler(logger));
  if (options.runWorkers !== false) {
    engine.start();
    reconciler.start();
    notifications.start();
    stopWatching = access.watch(options.accessWatchMs ?? 60_000);
    // The configuration is read at start, so a start is the reload: failed users get another try.
    for (const connection of syncConnections) heal(connection, 'start');
  }
  const port = (server.address() as AddressInfo).port;
  const url = `${config.listen.tls ? 'https' : 'http'}://${config.listen.host}:${port}`;
  logger.info('scim-bridge started', startupSummary(loaded, url, { version, adminAccess: adminAccessMode({ host: config.listen.host, adminToken: config.http.adminToken }), isRunningWorkers: options.runWorkers !== false }));
  const close = async (): Promise<void> => {
    draining = true;
    await closeServer(server, sockets);
    stopWatching();
    await reconciler.stop();
    await engine.stop();
    await notifications.stop();
    for (const connection of syncConnections) await connection.connector.close();
    for (const simulator of options.simulators?.values() ?? []) simulator.close();
    await storeLock.release();
    if (!options.store) await store.close();
    logger.info('scim-bridge stopped');
  };
  return { url, server, store, logger, engine, reconciler, notifications, app, metrics, access, close };
}

/** Listens on listen.host (HTTPS when listen.tls gives a certificate and key), tracking sockets for shutdown. */
async function listen(app: http.RequestListener, config: LoadedConfig['config'], port: number | undefined): Promise<{ server: http.Server | https.Server; sockets: Set<Socket> }> {
  const server = config.listen.tls
    ? https.createServer({ cert: readFileSync(config.listen.tls.cert), key: readFileSync(config.listen.tls.key) }, app)
    : http.createServer(app);
  const sockets = await listenTracked(server, port ?? config.listen.port, config.listen.host);
  return { server, sockets };
}

/** Stops accepting, lets in-flight requests finish (up to 10 s), then drops what is left. */
async function closeServer(server: http.Server | https.Server, sockets: Set<Socket>): Promise<void> {
  await new Promise<void>((resolve) => {
    // Connections that finish their request meanwhile become idle: close those too, as they appear.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const timer = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, 10_000);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Why this bridge cannot serve its store, and what to do: one process per SQLite file; no start while copy-store copies. */
function servingRefused(err: unknown, dialect: Store['dialect']): unknown {
  if (!isBridgeError(err) || err.code !== 'STORE_LOCKED') return err;
  const advice = err.details.purpose === 'copy-store' || dialect === 'postgres'
    ? 'wait for that copy to finish, then start the bridge again'
    : 'an SQLite store serves one bridge process: stop that one first, or move to PostgreSQL to run replicas (docs/operations.md)';
  return new BridgeError('STORE_LOCKED', `cannot serve: ${err.message}; ${advice}`, { details: err.details, cause: err });
}
