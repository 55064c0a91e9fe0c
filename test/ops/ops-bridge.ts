import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import supertest from 'supertest';
import { loadConfigFile, type LoadedConfig } from '../../src/config/load.js';
import type { SimulatorOptions } from '../../src/connectors/definition.js';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import { createLogger } from '../../src/logging/logger.js';
import { startBridge, type RunningBridge } from '../../src/main.js';

/**
 * The operations tests' bridge: a real config file (so secrets are collected the way
 * production does), distinctive secrets for every credential, simulators started first (so a
 * test can seed them or give the bridge wrong credentials), a SQLite file store, and every log
 * line captured.
 */

export const SCIM_TOKEN = 'ops-scim-token-5b0d2c4e9a';
export const ADMIN_TOKEN = 'ops-admin-token-7c1e8f3a2b6d';
const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** Simulator credentials nobody would type by chance, so a leak is easy to spot. */
export const simulatorSecrets: Record<ConnectorType, Record<string, string>> = {
  'redis-cloud': { apiKey: 'rc-key-Q7mZp2Lx9w', apiSecretKey: 'rc-secret-V3nHt8Rk1y' },
  'redis-enterprise': { password: 're-pass-J4sWq6Fd0u' },
  yardstik: { apiKey: 'ys-key-B9kXc5Mv2e' },
  paradime: { apiKey: 'pd-key-N1gTy7Hs4o', apiSecret: 'pd-secret-C8rUe3Wa6i' },
};

/** Options of {@link startOpsBridge}. */
export interface OpsBridgeOptions {
  types?: ConnectorType[];
  /** Extra simulator options per type. */
  simulators?: Partial<Record<ConnectorType, SimulatorOptions & Record<string, unknown>>>;
  /** Fields merged into a connection's target block (wrong credentials, say). */
  targets?: Partial<Record<ConnectorType, Record<string, unknown>>>;
  /** Merged into every connection (mode, sync, limits, drift). */
  connection?: Record<string, unknown>;
  /** Top-level config fields (listen, http, reconcile). */
  config?: Record<string, unknown>;
  /** Runs after the simulators start and before the bridge does. */
  beforeStart?: (sims: Map<ConnectorType, RunningSimulator>) => Promise<void>;
  accessCacheMs?: number;
}

/** A running operations-test bridge. */
export interface OpsBridge {
  bridge: RunningBridge;
  loaded: LoadedConfig;
  sims: Map<ConnectorType, RunningSimulator>;
  logs: string[];
  /** Every configured secret (as the config loader collected them). */
  secrets: string[];
  dir: string;
  scim(type: ConnectorType): { post(p: string, body: unknown): supertest.Test; delete(p: string): supertest.Test; get(p: string): supertest.Test };
  close(): Promise<void>;
}

/** Writes a bridge config file with one connection per target block (named after its type); returns its path. */
export function writeBridgeConfig(dir: string, targets: ReadonlyMap<ConnectorType, Record<string, unknown>>, options: OpsBridgeOptions = {}): string {
  const connections: Record<string, unknown> = {};
  for (const [type, target] of targets) {
    connections[type] = {
      type,
      mapping: path.join(appRoot, 'mappings', `${type}.yaml`),
      scim: { tokens: [SCIM_TOKEN] },
      target: { ...target, ...options.targets?.[type] },
      limits: { timeoutMs: 5_000, retries: 1 },
      sync: { inlineWaitMs: 0 },
      ...options.connection,
    };
  }
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    store: `sqlite:${path.join(dir, 'bridge.db')}`,
    http: { requestsPerMinute: 100_000 },
    connections,
    ...options.config,
  };
  const file = path.join(dir, 'bridge.yaml');
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Starts simulators with distinctive credentials, then a bridge from a config file. */
export async function startOpsBridge(options: OpsBridgeOptions = {}): Promise<OpsBridge> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-ops-'));
  const sims = new Map<ConnectorType, RunningSimulator>();
  const targets = new Map<ConnectorType, Record<string, unknown>>();
  for (const type of options.types ?? ['yardstik']) {
    const simulator = connectorRegistry[type].createSimulator({ ...options.simulators?.[type], credentials: simulatorSecrets[type] });
    const running = await serveSimulator(simulator);
    sims.set(type, running);
    targets.set(type, { ...simulator.credentials, url: running.targetUrl });
  }
  await options.beforeStart?.(sims);
  const loaded = loadConfigFile(writeBridgeConfig(dir, targets, options), {});
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const bridge = await startBridge(loaded, {
    logger: createLogger({ level: 'debug', format: 'json', stream, secrets: loaded.secrets }),
    engine: { pollMs: 50, invitationRecheckMs: 200, retryBaseMs: 50 },
    ...(options.accessCacheMs !== undefined ? { accessCacheMs: options.accessCacheMs } : {}),
  });
  const agent = supertest(bridge.url);
  const auth = (test: supertest.Test): supertest.Test => test.set('Authorization', `Bearer ${SCIM_TOKEN}`);
  return {
    bridge,
    loaded,
    sims,
    logs,
    secrets: loaded.secrets,
    dir,
    scim: (type) => ({
      post: (p, body) => auth(agent.post(`/scim/v2/${type}${p}`)).set('Content-Type', 'application/scim+json').send(JSON.stringify(body)),
      delete: (p) => auth(agent.delete(`/scim/v2/${type}${p}`)),
      get: (p) => auth(agent.get(`/scim/v2/${type}${p}`)),
    }),
    close: async () => {
      await bridge.close();
      for (const sim of sims.values()) await sim.close();
    },
  };
}

/** A SCIM User body as Okta sends it (enough for the shipped mappings). */
export function scimUser(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [given, family] = email.split('@')[0]?.split('.') ?? ['Pat', 'Doe'];
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    name: { givenName: given ?? 'Pat', familyName: family ?? 'Doe' },
    emails: [{ value: email, primary: true, type: 'work' }],
    active: true,
    ...extra,
  };
}

/** Asserts that none of the secrets appears in the text. */
export function secretsIn(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => text.includes(secret));
}
