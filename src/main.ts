import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { LoadedConfig } from './config/load.js';
import type { Simulator } from './connectors/simulator-kit.js';
import type { ConnectorType } from './connectors/types.js';
import { createStore } from './directory/create-store.js';
import type { Store } from './directory/store.js';
import { createApp } from './http/app.js';
import { createAuthenticator } from './http/auth.js';
import type { ScimConnection } from './http/scim-router.js';
import { createLogger, type Logger } from './logging/logger.js';
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
  engine?: { pollMs?: number; invitationRecheckMs?: number; leaseMs?: number };
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
  /** Stops accepting, finishes in-flight requests, closes the store. */
  close(): Promise<void>;
}

/** Starts the bridge for a validated configuration. */
export async function startBridge(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningBridge> {
  const { config } = loaded;
  const logger = options.logger ?? createLogger({ level: config.log.level, ...(config.log.format ? { format: config.log.format } : {}), secrets: loaded.secrets });
  const syncConnections = buildSyncConnections(loaded.connections, { logger });
  const store = options.store ?? (await createStore(config.store, { logger }));
  await store.migrate();
  const engine = new SyncEngine({ store, connections: syncConnections, logger, ...options.engine });
  const reconciler = new ReconcileScheduler({
    store,
    connections: syncConnections,
    logger,
    intervalMs: config.reconcile.intervalMs,
    auditRetentionDays: config.reconcile.auditRetentionDays,
  });
  const directory = createSyncedDirectory(store, engine);
  const connections = new Map<string, ScimConnection>();
  for (const connection of loaded.connections) {
    connections.set(connection.name, { name: connection.name, authenticator: createAuthenticator(connection.scim), directory });
  }
  let draining = false;
  const app = createApp({
    logger,
    connections,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    bodyLimit: config.http.bodyLimit,
    requestsPerMinute: config.http.requestsPerMinute,
    readiness: [
      { name: 'store', critical: true, check: () => store.ping() },
      ...syncConnections.map((c) => ({
        name: `target:${c.name}`,
        // One bad target must not take the whole bridge out of rotation.
        critical: false,
        check: async () => {
          const access = await c.connector.checkAccess();
          if (!access.ok) throw new Error(access.problems.join('; '));
          return access.identity ? { identity: access.identity } : undefined;
        },
      })),
    ],
    mounts: [...(options.simulators ?? new Map<ConnectorType, Simulator>())].map(([type, simulator]) => ({ path: `/sandbox/${type}`, handler: simulator.app })),
    isDraining: () => draining,
  });
  const server = config.listen.tls
    ? https.createServer({ cert: readFileSync(config.listen.tls.cert), key: readFileSync(config.listen.tls.key) }, app)
    : http.createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.listen.port, config.listen.host, () => resolve());
  });
  if (options.runWorkers !== false) {
    engine.start();
    reconciler.start();
  }
  const port = (server.address() as AddressInfo).port;
  const url = `${config.listen.tls ? 'https' : 'http'}://${config.listen.host}:${port}`;
  const close = async (): Promise<void> => {
    draining = true;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections?.();
      // In-flight requests get a moment to finish; then remaining sockets are dropped.
      setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, 10_000).unref();
    });
    await reconciler.stop();
    await engine.stop();
    for (const connection of syncConnections) await connection.connector.close();
    for (const simulator of options.simulators?.values() ?? []) simulator.close();
    if (!options.store) await store.close();
  };
  return { url, server, store, logger, engine, reconciler, app, close };
}
