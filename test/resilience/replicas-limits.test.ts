import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../src/connectors/definition.js';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator, type SimRequestRecord } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import { simControl, simRequests } from '../contract/connector-contract.js';
import { createStore } from '../../src/directory/create-store.js';
import type { Store } from '../../src/directory/store.js';
import { eventually, simState, TEST_DATABASE_URL } from '../helpers/bridge.js';
import { postgresSchemaUrl, runCli, scimCreate, scimRequest, startBridgeProcess, withConcurrency, writeConfig, type BridgeProcess, type ProcessConfigOptions } from './processes.js';

/**
 * docs/architecture.md, promise 11: with PostgreSQL, the target's rate limit, Redis Cloud's one task at a
 * time and the mass-deprovisioning guard's window hold across replicas. Two bridge processes on
 * one schema, SCIM writes sent to both in turn.
 */

interface Replicas {
  sim: RunningSimulator;
  processes: BridgeProcess[];
  config: string;
  /** The replicas' store, opened by the test. */
  store: Store;
  /** Its PostgreSQL schema. */
  schema: string;
  close(): Promise<void>;
}

async function startReplicas(type: ConnectorType, simulator: SimulatorOptions & Record<string, unknown>, config: Partial<ProcessConfigOptions>): Promise<Replicas> {
  const sim = await serveSimulator(connectorRegistry[type].createSimulator(simulator));
  const schema = await postgresSchemaUrl();
  const credentials = connectorRegistry[type].createSimulator().credentials;
  const file = writeConfig({ store: schema.url, targetUrl: sim.targetUrl, credentials, type, extra: 'reconcile: { intervalMs: 3600000 }', ...config });
  const processes = [await startBridgeProcess(file), await startBridgeProcess(file)];
  const store = createStore(TEST_DATABASE_URL, { schema: schema.schema });
  return {
    sim,
    processes,
    config: file,
    store,
    schema: schema.schema,
    close: async () => {
      await store.close();
      await Promise.all(processes.map((p) => p.kill('SIGTERM')));
      await sim.close();
      await schema.drop();
    },
  };
}

const emails = (state: { users: { email: string }[] }): string[] => state.users.map((u) => u.email);

/** The theoretical arrival time of a shared token bucket (database clock, epoch ms), read from the replicas' schema. */
async function bucketTat(replicas: Replicas, key: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const found = await client.query<{ tat: string | number }>(`SELECT tat FROM "${replicas.schema}".coord_buckets WHERE name = $1`, [key]);
    return Number(found.rows[0]?.tat);
  } finally {
    await client.end();
  }
}

describe('two replicas share one target rate limit', () => {
  let replicas: Replicas;
  const rate = 8;
  beforeAll(async () => {
    replicas = await startReplicas('redis-enterprise', {}, { limits: `requestsPerSecond: ${rate}` });
  });
  afterAll(() => replicas.close());

  it('sends no more than the configured rate, whichever replica converges', async () => {
    // The replicas' shared bucket (sync/build.ts), as they take from it.
    const key = 'target-rate:redis-enterprise';
    const bucket = { ratePerSecond: rate, burst: rate, reserve: true };
    const intervalMs = 1000 / rate;
    // The test takes the bucket's next `quietS` seconds first: a replica that waits its turn in the
    // shared bucket sends nothing to the target before they are over, on the database's clock,
    // however slow or fast this machine is. One that limits itself alone sends at once.
    const quietS = 4;
    await simControl(replicas.sim, '/requests', undefined, 'DELETE');
    const before = Date.now();
    for (let i = 0; i < rate * (quietS + 1); i++) await replicas.store.takeToken(key, bucket);
    const reservedTat = await bucketTat(replicas, key);

    const names = Array.from({ length: 48 }, (_, i) => `rate${i}@example.com`);
    await withConcurrency(names, 8, async (name, i) => {
      expect(await scimCreate(replicas.processes[i % 2]!.url, name)).toBe(201);
    });
    await eventually(async () => {
      const state = await simState<{ users: { email: string }[] }>(replicas.sim);
      return names.every((n) => emails(state).includes(n));
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'every account created' });
    const log: SimRequestRecord[] = await simRequests(replicas.sim);
    expect(log.length).toBeGreaterThanOrEqual(names.length);
    // (A few ms of slack: the database and this process read the same host clock, rounded differently.)
    const early = log.filter((r) => r.at < before + quietS * 1000 - 50);
    expect(early, 'target requests sent before the shared bucket had a token for them').toEqual([]);
    // Every request took one token of the shared bucket: each moved its arrival time one interval on.
    // (A bucket that ran idle moves on further, never less: this counts at least the tokens taken.)
    const tokens = Math.round(((await bucketTat(replicas, key)) - reservedTat) / intervalMs);
    expect(log.length, `${log.length} target requests, ${tokens} shared tokens taken`).toBeLessThanOrEqual(tokens);
  });
});

describe('two replicas serialise Redis Cloud tasks', () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas('redis-cloud', { taskStepMs: 60 }, {});
  });
  afterAll(() => replicas.close());

  it('never has two of its tasks in flight at once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `serial${i}@example.com`);
    await withConcurrency(names, 6, async (name, i) => {
      expect(await scimCreate(replicas.processes[i % 2]!.url, name, 'redis-cloud')).toBe(201);
    });
    await eventually(async () => {
      const state = await simState<{ users: { email: string }[] }>(replicas.sim);
      return names.every((n) => emails(state).includes(n));
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'every invitation created' });
    // Each task is busy from its write to the last poll of it; a write only starts once the previous task is final.
    const log = await simRequests(replicas.sim);
    const writes = log.filter((r) => r.method === 'POST' && r.path.endsWith('/v1/users'));
    const lastPoll = new Map<string, number>();
    for (const r of log) if (r.method === 'GET' && r.path.includes('/v1/tasks/')) lastPoll.set(r.path, r.at);
    const finished = [...lastPoll.values()].sort((a, b) => a - b);
    expect(writes).toHaveLength(names.length);
    for (let i = 1; i < writes.length; i++) expect(writes[i]!.at, `write ${i} started before task ${i - 1} was final`).toBeGreaterThanOrEqual(finished[i - 1]!);
  });
});

describe('two replicas share one mass-deprovisioning guard', () => {
  let replicas: Replicas;
  const minimum = 3;
  beforeAll(async () => {
    replicas = await startReplicas('yardstik', {}, { sync: `guardMinimum: ${minimum}, guardShare: 0, guardWindowMs: 600000` });
  });
  afterAll(() => replicas.close());

  const deactivate = async (url: string, id: string): Promise<number> =>
    (await scimRequest(url, 'PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] }, 'yardstik')).status;
  const accounts = async (): Promise<string[]> => (await simState<{ users: { email_address: string }[] }>(replicas.sim)).users.map((u) => u.email_address);

  it('admits the window\'s removals once across replicas, holds the rest on both, and starts afresh after approval', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `guard${i}@example.com`);
    const ids: string[] = [];
    for (const [i, name] of names.entries()) {
      const created = await scimRequest(replicas.processes[i % 2]!.url, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name, emails: [{ value: name, primary: true }], active: true }, 'yardstik');
      expect(created.status).toBe(201);
      ids.push((created.body as { id: string }).id);
    }
    await eventually(async () => (await accounts()).filter((e) => names.includes(e)).length === names.length, { timeoutMs: 30_000, what: 'every account created' });
    // Eight deactivations, four through each replica: the guard admits `minimum` of them in all.
    await withConcurrency(ids.slice(0, 8), 8, async (id, i) => {
      expect(await deactivate(replicas.processes[i % 2]!.url, id)).toBe(200);
    });
    await settled(replicas);
    expect(await heldCount(replicas)).toBe(8 - minimum);
    expect((await accounts()).filter((e) => names.includes(e))).toHaveLength(names.length - minimum);
    // Tripped on both: a ninth removal through either replica waits too.
    expect(await deactivate(replicas.processes[1]!.url, ids[8]!)).toBe(200);
    await settled(replicas);
    expect(await heldCount(replicas)).toBe(9 - minimum);

    expect((await runCli(['approve', '--connection', 'yardstik'], replicas.config)).code).toBe(0);
    await eventually(async () => (await accounts()).filter((e) => names.includes(e)).length === 1, { timeoutMs: 30_000, what: 'the approved removals done' });
    // After the approval the window starts afresh: the last removal is admitted, not held.
    expect(await deactivate(replicas.processes[0]!.url, ids[9]!)).toBe(200);
    await eventually(async () => (await accounts()).filter((e) => names.includes(e)).length === 0, { timeoutMs: 30_000, what: 'the last removal admitted' });
  });
});

/** Waits until every job of the connection is done or held. */
async function settled(replicas: Replicas): Promise<void> {
  await eventually(async () => (await replicas.store.listJobs('yardstik', { held: false })).length === 0, { timeoutMs: 30_000, what: 'every job done or held' });
}

/** Held jobs of the connection, read from the replicas' store. */
async function heldCount(replicas: Replicas): Promise<number> {
  return (await replicas.store.listJobs('yardstik', { held: true })).length;
}

describe('two replicas share the brake on failed authentications', () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas('redis-enterprise', {}, {});
  });
  afterAll(() => replicas.close());

  const wrongToken = (url: string): Promise<number> =>
    fetch(`${url}/scim/v2/redis-enterprise/Users`, { headers: { authorization: 'Bearer wrong-token-0123456789' }, signal: AbortSignal.timeout(10_000) }).then((r) => r.status);

  it('counts one source\'s failures on every replica together, and never brakes the valid token', async () => {
    // The brake lets 20 failures pass from one source: 12 on each replica are 24 together.
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) statuses.push(await wrongToken(replicas.processes[i % 2]!.url));
    expect(statuses.slice(0, 20).every((s) => s === 401), statuses.join(',')).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429), statuses.join(',')).toBe(true);
    for (const process of replicas.processes) expect((await scimRequest(process.url, 'GET', '/Users?count=1', undefined)).status).toBe(200);
  });
});
