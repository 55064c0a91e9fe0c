import { Router } from 'express';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { LoadedConfig } from './config/load.js';
import type { Simulator } from './connectors/simulator-kit.js';
import type { ConnectorType } from './connectors/types.js';
import { createStore } from './directory/create-store.js';
import type { Store } from './directory/store.js';
import { adminAccess, adminAccessMode } from './http/admin-access.js';
import { createApp } from './http/app.js';
import { listenTracked } from './http/listen.js';
import { createAuthenticator } from './http/auth.js';
import { metricsHandler } from './http/metrics.js';
import type { ScimConnection } from './http/scim-router.js';
import { statusPageHandler } from './http/status-page.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createAccessMonitor, type AccessMonitor } from './observability/access-monitor.js';
import { BridgeMetrics } from './observability/metrics.js';
import { targetReadinessChecks } from './observability/readiness.js';
import { bridgeVersion, describeStore, startupSummary } from './observability/startup.js';
import { collectStatus } from './observability/status-report.js';
import { buildSyncConnections } from './sync/build.js';
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
  engine?: { pollMs?: number; invitationRecheckMs?: number; leaseMs?: number; retryBaseMs?: number; strictLeaseWaitMs?: number; busyRetryMs?: number };
  /** How long a target access check is reused by /readyz, /status and /metrics (default 10 s). */
  accessCacheMs?: number;
}

/** A running bridge. */
export interface RunningBridge {
  url: string;
  server: http.Server | https.Server;
  store: Store;
  logger: Logger;
  engine: SyncEngine;
  reconciler: ReconcileScheduler;
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
  const syncConnections = buildSyncConnections(loaded.connections, { logger, onCall: (name, event) => metrics.recordCall(name, event) });
  const store = options.store ?? (await createStore(config.store, { logger }));
  await store.migrate();
  const engine = new SyncEngine({ store, connections: syncConnections, logger, onOutcome: (name, outcome, ms) => metrics.recordOutcome(name, outcome, ms), ...options.engine });
  const reconciler = new ReconcileScheduler({
    store,
    connections: syncConnections,
    logger,
    intervalMs: config.reconcile.intervalMs,
    auditRetentionDays: config.reconcile.auditRetentionDays,
    onReport: (report) => metrics.recordReconcile(report),
  });
  const access = createAccessMonitor(syncConnections, options.accessCacheMs === undefined ? {} : { ttlMs: options.accessCacheMs });
  metrics.attach({ store, connections: syncConnections, reconciler, access });
  const directory = createSyncedDirectory(store, engine);
  const connections = new Map<string, ScimConnection>();
  for (const connection of loaded.connections) {
    connections.set(connection.name, { name: connection.name, authenticator: createAuthenticator(connection.scim), directory });
  }
  const guard = adminAccess({ host: config.listen.host, adminToken: config.http.adminToken });
  const storeLabel = Object.values(describeStore(config.store)).join(' ');
  const collect = () => collectStatus({ version, storeLabel, store, connections: syncConnections, reconciler, access });
  let draining = false;
  const app = createApp({
    logger,
    connections,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    bodyLimit: config.http.bodyLimit,
    requestsPerMinute: config.http.requestsPerMinute,
    readiness: [{ name: 'store', critical: true, check: () => store.ping() }, ...targetReadinessChecks(access, syncConnections.map((c) => c.name))],
    mounts: [
      ...[...(options.simulators ?? new Map<ConnectorType, Simulator>())].map(([type, simulator]) => ({ path: `/sandbox/${type}`, handler: simulator.app })),
      { path: '/metrics', handler: Router().get('/', guard, metricsHandler({ metrics, secrets: loaded.secrets, logger })) },
      { path: '/status', handler: Router().get('/', guard, statusPageHandler({ collect, secrets: loaded.secrets })) },
    ],
    onRequest: (req, res, ms) => metrics.recordRequest({ path: req.originalUrl, method: req.method, connection: req.scimConnection }, res.statusCode, ms),
    isDraining: () => draining,
  });
  const { server, sockets } = await listen(app, config, options.port);
  if (options.runWorkers !== false) {
    engine.start();
    reconciler.start();
  }
  const port = (server.address() as AddressInfo).port;
  const url = `${config.listen.tls ? 'https' : 'http'}://${config.listen.host}:${port}`;
  logger.info('scim-bridge started', startupSummary(loaded, url, { version, adminAccess: adminAccessMode({ host: config.listen.host, adminToken: config.http.adminToken }), isRunningWorkers: options.runWorkers !== false }));
  const close = async (): Promise<void> => {
    draining = true;
    await closeServer(server, sockets);
    await reconciler.stop();
    await engine.stop();
    for (const connection of syncConnections) await connection.connector.close();
    for (const simulator of options.simulators?.values() ?? []) simulator.close();
    if (!options.store) await store.close();
    logger.info('scim-bridge stopped');
  };
  return { url, server, store, logger, engine, reconciler, app, metrics, access, close };
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
