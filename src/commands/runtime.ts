import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../directory/store.js';
import type { Logger } from '../logging/logger.js';
import { namedWebhooks } from '../config/notify-schema.js';
import { createWebhookNotifier } from '../notify/webhook-notifier.js';
import { buildSyncConnections, loadMappings } from '../sync/build.js';
import type { SyncConnection } from '../sync/connection.js';
import { createCommandLogger, loadConfiguration, openStore, selectConnections, UsageError, type Configuration } from './context.js';

/**
 * What `plan` and `sync` need besides the store: each selected connection's connector and
 * mapping, built exactly as `serve` builds them, without an HTTP server.
 */

/** The parts of the bridge a target-facing command uses. */
export interface CommandRuntime {
  loaded: LoadedConfig;
  logger: Logger;
  store: Store;
  connections: SyncConnection[];
  close(): Promise<void>;
}

/** Options shared by target-facing commands. */
export interface RuntimeOptions {
  config?: string;
  connection?: string;
}

/** Loads the configuration and mappings, checks the targets can exist, opens the store. */
export async function openRuntime(options: RuntimeOptions): Promise<CommandRuntime> {
  const configuration = loadConfiguration(options.config);
  const { loaded } = configuration;
  const selected = selectConnections(loaded, options.connection);
  const logger = createCommandLogger(loaded);
  // Mappings load here: a bad one is a ConfigError listing every issue, before any target call.
  loadMappings(selected);
  if (configuration.sandbox) await assertSandboxRunning(configuration);
  const store = await openStore(loaded, logger);
  let connections: SyncConnection[] = [];
  const closeConnectors = async (): Promise<void> => {
    for (const connection of connections) await connection.connector.close().catch(() => undefined);
  };
  try {
    // The store coordinates the rate limit and write lock with the replicas of a running bridge.
    // What needs a person is queued like a running bridge queues it; the bridge (serve) delivers it.
    const webhooks = namedWebhooks(loaded.config.notify);
    const notifier = webhooks.length > 0 ? createWebhookNotifier({ store, webhooks, logger, secrets: loaded.secrets }) : undefined;
    connections = buildSyncConnections(selected, { logger, coordination: store, ...(notifier ? { notifier } : {}) });
    return {
      loaded,
      logger,
      store,
      connections,
      close: async () => {
        await closeConnectors();
        await store.close();
      },
    };
  } catch (err) {
    await closeConnectors();
    await store.close();
    throw err;
  }
}

/**
 * The sandbox's targets are simulators inside the sandbox process (`npm start`): they hold the
 * accounts the sandbox created. A command that started fresh simulators of its own would plan
 * against empty targets and sync accounts into memory that vanishes when it exits, so it talks
 * to the running sandbox instead, and says so when there is none.
 */
async function assertSandboxRunning(configuration: Configuration): Promise<void> {
  const { listen } = configuration.loaded.config;
  const origin = `http://${listen.host}:${listen.port}`;
  try {
    const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(3_000) });
    await response.body?.cancel();
    if (response.ok) return;
  } catch {
    // Falls through to the explanation below.
  }
  throw new UsageError(
    `no configuration file, so this is the sandbox, whose targets only exist while the sandbox runs: start it with "npm start" ` +
      `(expected at ${origin}; set PORT if it listens elsewhere), then run this command again, or pass --config <file>`,
  );
}
