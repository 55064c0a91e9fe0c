import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnections } from '../../../src/config/load.js';
import { bridgeConfigSchema } from '../../../src/config/schema.js';
import { connectorRegistry } from '../../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../../src/connectors/simulator-kit.js';
import { createStore } from '../../../src/directory/create-store.js';
import type { Store } from '../../../src/directory/store.js';
import { createSilentLogger } from '../../../src/logging/logger.js';
import { buildSyncConnections } from '../../../src/sync/build.js';
import type { SyncConnection } from '../../../src/sync/connection.js';

/** The composition path of `sync.roleCacheMs`: from the config file's key to the role cache of the connection built from it. */

const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

describe('buildSyncConnections: the role cache TTL from sync.roleCacheMs', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await serveSimulator(connectorRegistry['redis-enterprise'].createSimulator({}));
  });
  afterAll(() => sim.close());

  const build = (sync: Record<string, number>, now: () => number): SyncConnection => {
    const simulator = connectorRegistry['redis-enterprise'].createSimulator({});
    const config = bridgeConfigSchema.parse({
      store: 'sqlite::memory:',
      connections: {
        re: {
          type: 'redis-enterprise',
          mapping: path.join(appRoot, 'mappings', 'redis-enterprise.yaml'),
          scim: { tokens: ['long-enough-token-1'] },
          target: { ...simulator.credentials, url: sim.targetUrl },
          sync,
        },
      },
    });
    simulator.close();
    const resolved = resolveConnections(config, appRoot, (name, issues) => {
      throw new Error(`${name}: ${issues.map((i) => i.message).join(', ')}`);
    });
    const [connection] = buildSyncConnections(resolved, { logger: createSilentLogger(), now });
    return connection!;
  };

  /** Reads the catalog at each time and returns how often the target was asked after each. */
  const readsAt = async (connection: SyncConnection, clock: { at: number }, times: number[]): Promise<number[]> => {
    const reads: number[] = [];
    const catalog = connection.roles;
    if (!catalog) throw new Error('no role catalog');
    for (const at of times) {
      clock.at = at;
      const before = catalog.reads;
      let snapshot = await catalog.snapshot();
      // A refresh it started runs in the background: wait for its answer (a simulator round trip), never for the TTL.
      for (let i = 0; catalog.reads > before && snapshot.readAt !== at && i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        snapshot = await catalog.snapshot();
      }
      reads.push(catalog.reads);
    }
    return reads;
  };

  it('refreshes once the configured TTL has passed, not before', async () => {
    const clock = { at: 0 };
    const connection = build({ roleCacheMs: 5_000 }, () => clock.at);
    try {
      expect(await readsAt(connection, clock, [0, 4_999, 5_000, 9_999, 10_000])).toEqual([1, 1, 2, 2, 3]);
    } finally {
      await connection.connector.close();
    }
  });

  it('keeps 60 s without the key', async () => {
    const clock = { at: 0 };
    const connection = build({}, () => clock.at);
    try {
      expect(await readsAt(connection, clock, [0, 5_000, 59_999, 60_000])).toEqual([1, 1, 1, 2]);
    } finally {
      await connection.connector.close();
    }
  });
});

describe('buildSyncConnections: Redis Cloud writes are serialised per account, not per connection', () => {
  /** Redis Cloud connections (name → account key); every one on one store, the coordination their write locks share. */
  const buildRedisCloud = (accounts: Record<string, string>, coordination: Store): SyncConnection[] => {
    const simulator = connectorRegistry['redis-cloud'].createSimulator({});
    const connections = Object.fromEntries(Object.entries(accounts).map(([name, apiKey]) => [name, {
      type: 'redis-cloud',
      mapping: path.join(appRoot, 'mappings', 'redis-cloud.yaml'),
      scim: { tokens: [`long-enough-token-${name}`] },
      target: { ...simulator.credentials, apiKey, url: 'http://127.0.0.1:9/v1' },
    }]));
    simulator.close();
    const config = bridgeConfigSchema.parse({ store: 'sqlite::memory:', connections });
    const resolved = resolveConnections(config, appRoot, (name, issues) => {
      throw new Error(`${name}: ${issues.map((i) => i.message).join(', ')}`);
    });
    return buildSyncConnections(resolved, { logger: createSilentLogger(), coordination });
  };

  /** Whether `second`'s write starts while `first` holds its turn. */
  const overlaps = async (first: SyncConnection, second: SyncConnection): Promise<boolean> => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const isHolding = new Promise<void>((resolve) => (started = resolve));
    const one = first.writeLock!.run(async () => {
      started();
      await held;
    });
    await isHolding;
    let isOverlapping = false;
    const two = second.writeLock!.run(async () => {
      isOverlapping = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = isOverlapping;
    release();
    await Promise.all([one, two]);
    return seen;
  };

  it('makes two connections to one account (in one process, or two replicas) wait for each other, and leaves other accounts alone', async () => {
    const store = createStore('sqlite::memory:');
    await store.migrate();
    // Two bridge processes on one store: each builds its connections.
    const [a, b, other] = buildRedisCloud({ okta: 'account-key-1', entra: 'account-key-1', elsewhere: 'account-key-2' }, store);
    const [replicaOfB] = buildRedisCloud({ entra: 'account-key-1' }, store);
    try {
      expect(await overlaps(a!, b!)).toBe(false);
      expect(await overlaps(a!, replicaOfB!)).toBe(false);
      expect(await overlaps(a!, other!)).toBe(true);
    } finally {
      await Promise.all([a, b, other, replicaOfB].map((c) => c!.connector.close()));
      await store.close();
    }
  });
});
