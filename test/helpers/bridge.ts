import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import supertest from 'supertest';
import { collectSecrets, resolveConnections, type LoadedConfig } from '../../src/config/load.js';
import { bridgeConfigSchema } from '../../src/config/schema.js';
import type { SimulatorOptions } from '../../src/connectors/definition.js';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import { createStore } from '../../src/directory/create-store.js';
import type { Store } from '../../src/directory/store.js';
import { createLogger } from '../../src/logging/logger.js';
import { startBridge, type RunningBridge } from '../../src/main.js';

/** Which database a test runs on. */
export type StoreKind = 'sqlite' | 'postgres';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TOKEN = 'test-scim-token-0123456789';
const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** A store of its own for one test file; `close` also drops its PostgreSQL schema. */
export type TestStore = Store & { readonly url: string; readonly schema?: string };

/** Opens a fresh store: a temp SQLite file, or a PostgreSQL schema of its own (dropped on close). */
export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'sqlite') {
    const url = `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'scim-bridge-')), 'test.db')}`;
    const store = createStore(url);
    await store.migrate();
    return Object.assign(store, { url });
  }
  const schema = `e2e_${Math.random().toString(36).slice(2, 10)}`;
  const store = createStore(TEST_DATABASE_URL, { schema });
  await store.migrate();
  const close = store.close.bind(store);
  return Object.assign(store, {
    url: TEST_DATABASE_URL,
    schema,
    close: async () => {
      await close();
      await dropSchema(schema);
    },
  });
}

/** Drops a test schema (PostgreSQL). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Options of {@link startTestBridge}. */
export interface TestBridgeOptions {
  store: StoreKind | Store;
  types?: ConnectorType[];
  mode?: 'eventual' | 'strict';
  /** Mapping YAML per type; defaults to the shipped mappings/<type>.yaml. */
  mappings?: Partial<Record<ConnectorType, string>>;
  simulator?: SimulatorOptions & Record<string, unknown>;
  sync?: Record<string, number>;
  limits?: Record<string, number>;
  drift?: 'repair' | 'report';
  runWorkers?: boolean;
  engine?: NonNullable<Parameters<typeof startBridge>[1]>['engine'];
  /** Fields of a connection's `target` block that replace the simulator's (a wrong key, say). */
  targets?: Partial<Record<ConnectorType, Record<string, unknown>>>;
  /** Other start options of the bridge (how often a failing target's access is checked, ...). */
  start?: Omit<NonNullable<Parameters<typeof startBridge>[1]>, 'logger' | 'store' | 'port' | 'runWorkers' | 'engine'>;
  /** `http` block of the config (body limit, requests per minute, proxy trust, keys); defaults to 10mb and 100,000/min. */
  http?: { bodyLimit?: string; requestsPerMinute?: number; trustProxy?: boolean | number | string[]; adminToken?: string; tokenSigningKey?: string | string[] };
  /** SCIM credentials per type; default `{ tokens: [TOKEN] }`. `scim(type)` sends the first token. */
  scimAuth?: Partial<Record<ConnectorType, { tokens?: string[]; basic?: { username: string; password: string }; oauth?: unknown }>>;
  /** Blank every configured secret in log lines (default true, as in production). */
  redactSecrets?: boolean;
  /** The config's `notify` block (webhooks). */
  notify?: unknown;
}

/** A bridge with one connection per type, each wired to its own simulator. */
export interface TestBridge {
  bridge: RunningBridge;
  store: Store;
  sims: Map<ConnectorType, RunningSimulator>;
  /** Every log line written, as text (to assert that no secret leaks). */
  logs: string[];
  /** supertest against `/scim/v2/<type>` with the bearer token. */
  scim(type: ConnectorType): ScimClient;
  close(): Promise<void>;
}

/** A tiny SCIM client over supertest. */
export interface ScimClient {
  get(p: string): supertest.Test;
  post(p: string, body: unknown): supertest.Test;
  put(p: string, body: unknown): supertest.Test;
  patch(p: string, body: unknown): supertest.Test;
  delete(p: string): supertest.Test;
}

/** Starts simulators, then a bridge pointed at them, on 127.0.0.1. */
export async function startTestBridge(options: TestBridgeOptions): Promise<TestBridge> {
  const types = options.types ?? ['redis-cloud', 'redis-enterprise', 'yardstik', 'paradime'];
  const sims = new Map<ConnectorType, RunningSimulator>();
  const connections: Record<string, unknown> = {};
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-map-'));
  for (const type of types) {
    const simulator = connectorRegistry[type].createSimulator(options.simulator ?? {});
    const running = await serveSimulator(simulator);
    sims.set(type, running);
    const custom = options.mappings?.[type];
    const mapping = custom === undefined ? path.join(appRoot, 'mappings', `${type}.yaml`) : path.join(dir, `${type}.yaml`);
    if (custom !== undefined) writeFileSync(mapping, custom);
    connections[type] = {
      type,
      mode: options.mode ?? 'eventual',
      mapping,
      scim: options.scimAuth?.[type] ?? { tokens: [TOKEN] },
      target: { ...simulator.credentials, url: running.targetUrl, ...options.targets?.[type] },
      limits: { timeoutMs: 5_000, retries: 1, ...options.limits },
      sync: { inlineWaitMs: 0, ...options.sync },
      ...(options.drift ? { drift: options.drift } : {}),
    };
  }
  const http = { requestsPerMinute: 100_000, ...options.http };
  const config = bridgeConfigSchema.parse({ listen: { host: '127.0.0.1', port: 0 }, store: 'sqlite::memory:', http, connections, ...(options.notify ? { notify: options.notify } : {}) });
  const resolved = resolveConnections(config, dir, (name, issues) => {
    throw new Error(`${name}: ${issues.map((i) => i.message).join(', ')}`);
  });
  const secrets = [TOKEN, ...collectSecrets(config, resolved)];
  const loaded: LoadedConfig = { config, connections: resolved, file: null, secrets };
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const store = typeof options.store === 'string' ? await openTestStore(options.store) : options.store;
  const bridge = await startBridge(loaded, {
    logger: createLogger({ level: 'debug', format: 'json', stream, secrets: options.redactSecrets === false ? [] : secrets }),
    store,
    port: 0,
    runWorkers: options.runWorkers ?? true,
    engine: { pollMs: 50, invitationRecheckMs: 200, retryBaseMs: 100, ...options.engine },
    ...options.start,
  });
  const agent = supertest(bridge.url);
  const tokenOf = (type: ConnectorType): string => options.scimAuth?.[type]?.tokens?.[0] ?? TOKEN;
  return {
    bridge,
    store,
    sims,
    logs,
    scim: (type) => {
      const base = `/scim/v2/${type}`;
      const auth = (test: supertest.Test): supertest.Test => test.set('Authorization', `Bearer ${tokenOf(type)}`);
      const json = (test: supertest.Test, body: unknown): supertest.Test => auth(test).set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
      return {
        get: (p) => auth(agent.get(base + p)),
        post: (p, body) => json(agent.post(base + p), body),
        put: (p, body) => json(agent.put(base + p), body),
        patch: (p, body) => json(agent.patch(base + p), body),
        delete: (p) => auth(agent.delete(base + p)),
      };
    },
    close: async () => {
      await bridge.close();
      for (const sim of sims.values()) await sim.close();
      if (typeof options.store === 'string') await store.close();
    },
  };
}

/** Polls `fn` until it returns a truthy value or the deadline passes (no fixed sleeps). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads a simulator's whole state. */
export async function simState<T = Record<string, unknown>>(sim: RunningSimulator): Promise<T> {
  const response = await fetch(`${sim.url}/_sim/state`);
  return (await response.json()) as T;
}

/** One JSON log line the bridge wrote. */
export interface LogLine {
  message: string;
  level: string;
  [key: string]: unknown;
}

/** The JSON lines in a captured log stream (chunks may hold several lines). */
export function logLines(chunks: readonly string[]): LogLine[] {
  return chunks.flatMap((chunk) => chunk.split('\n')).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogLine);
}
