import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveConnections, type LoadedConfig } from '../../src/config/load.js';
import { bridgeConfigSchema } from '../../src/config/schema.js';
import type { StoreLocation } from './bench-store.js';

/**
 * The bridge a benchmark measures: every connection of type redis-enterprise (the only target
 * whose simulator answers synchronously, so convergence is bounded by latency and concurrency
 * alone), production defaults elsewhere, run in a child process (`bridge-child.ts`).
 */

/** The SCIM bearer token of every bench connection. */
export const BENCH_TOKEN = 'bench-scim-token-0123456789';

/** The default role of bench users; rules add `admin` for a group. */
export const DEFAULT_MAPPING = ['type: redis-enterprise', 'roles:', '  default: db_viewer', 'deactivate: role:none', 'delete: delete', ''].join('\n');

/** A mapping that makes members of `group` admins. */
export const adminGroupMapping = (group: string): string =>
  ['type: redis-enterprise', 'roles:', '  default: db_viewer', '  rules:', `    - group: ${group}`, '      role: admin', 'deactivate: role:none', 'delete: delete', ''].join('\n');

/** One connection of the bench bridge. */
export interface BenchConnection {
  name: string;
  /** The simulator's URL and credentials; null for a bridge that never calls its target (workers off). */
  target: { url: string; credentials: Record<string, string> } | null;
  /** `limits.concurrency` (default 4). */
  concurrency?: number;
  /** `sync.inlineWaitMs` (default 2000). */
  inlineWaitMs?: number;
  mappingYaml?: string;
}

/** What the bridge child is started with (JSON in the BENCH_BRIDGE environment variable). */
export interface BridgeChildConfig {
  store: StoreLocation;
  connections: BenchConnection[];
  runWorkers: boolean;
  /** Log level of the bridge (info: one access-log line per request, as in production). */
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Folder for the log file and mapping files. */
  dir: string;
}

// Nothing listens on port 1: a connection whose worker is off never calls it.
const UNUSED_TARGET = { url: 'http://127.0.0.1:1', credentials: { username: 'admin@sandbox.local', password: 'sandbox' } };

/** The validated configuration of the bench bridge (mapping files are written to `dir`). */
export function benchLoadedConfig(config: BridgeChildConfig): LoadedConfig {
  const connections: Record<string, unknown> = {};
  for (const connection of config.connections) {
    const mapping = path.join(config.dir, `mapping-${connection.name}.yaml`);
    writeFileSync(mapping, connection.mappingYaml ?? DEFAULT_MAPPING);
    const target = connection.target ?? UNUSED_TARGET;
    connections[connection.name] = {
      type: 'redis-enterprise',
      mapping,
      scim: { tokens: [BENCH_TOKEN] },
      target: { ...target.credentials, url: target.url },
      limits: { concurrency: connection.concurrency ?? 4 },
      sync: { ...(connection.inlineWaitMs === undefined ? {} : { inlineWaitMs: connection.inlineWaitMs }) },
    };
  }
  const parsed = bridgeConfigSchema.parse({
    listen: { host: '127.0.0.1', port: 0 },
    store: config.store.url,
    log: { level: config.logLevel, format: 'json' },
    // The limit is per client; the load generator is one client sending thousands per second.
    http: { requestsPerMinute: 1_000_000_000 },
    connections,
  });
  const resolved = resolveConnections(parsed, config.dir, (name, issues) => {
    throw new Error(`${name}: ${issues.map((i) => i.message).join(', ')}`);
  });
  return { config: parsed, connections: resolved, file: null, secrets: [BENCH_TOKEN] };
}

/** SCIM request headers with the bench token. */
export const scimHeaders = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/scim+json' };
