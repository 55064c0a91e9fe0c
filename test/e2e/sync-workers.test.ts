import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/directory/create-store.js';
import type { Store } from '../../src/directory/store.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { eventually, startTestBridge, TEST_DATABASE_URL, type TestBridge, type TestStore } from '../helpers/bridge.js';

/**
 * Two workers on one PostgreSQL (two store instances, two pools, as two replicas would have):
 * no job runs twice at once, every user converges exactly once, no duplicate account.
 */
describe('two workers on one PostgreSQL', () => {
  let tb: TestBridge;
  let second: Store;
  let engine: SyncEngine;
  beforeAll(async () => {
    // allowDuplicateEmails: a second create of one email succeeds, so a duplicate shows in the count.
    tb = await startTestBridge({ store: 'postgres', types: ['redis-enterprise'], runWorkers: false, simulator: { latencyMs: 5, allowDuplicateEmails: true }, limits: { concurrency: 8 } });
    second = createStore(TEST_DATABASE_URL, { schema: (tb.store as TestStore).schema! });
    await second.migrate();
  });
  afterAll(async () => {
    await engine?.stop();
    await second?.close();
    await tb?.close();
  });

  it('never runs the same job at once and converges every user once', async () => {
    const connection = tb.bridge.engine.connection('redis-enterprise')!;
    const inFlight = new Set<string>();
    const violations: string[] = [];
    const creates = new Map<string, number>();
    const { connector } = connection;
    const create = connector.createAccount.bind(connector);
    connector.createAccount = async (account, options) => {
      if (inFlight.has(account.email)) violations.push(account.email);
      inFlight.add(account.email);
      creates.set(account.email, (creates.get(account.email) ?? 0) + 1);
      try {
        return await create(account, options);
      } finally {
        inFlight.delete(account.email);
      }
    };
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const user = await tb.store.createUser('redis-enterprise', {
        userName: `worker${i}@example.com`, externalId: null, active: true, emails: [{ value: `worker${i}@example.com`, type: 'work', primary: true }],
        attributes: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `worker${i}@example.com`, emails: [{ value: `worker${i}@example.com`, type: 'work', primary: true }] },
      }, { requestId: `seed-${i}` });
      ids.push(user.id);
    }
    const outcomes = { a: 0, b: 0 };
    engine = new SyncEngine({ store: second, connections: [connection], logger: createSilentLogger(), pollMs: 20, onOutcome: () => outcomes.b++ });
    tb.bridge.engine.start();
    engine.start();
    await eventually(async () => {
      const states = await tb.store.getSyncStates('redis-enterprise', ids);
      return states.length === ids.length && states.every((s) => s.status === 'synced');
    }, { timeoutMs: 30_000, what: 'all users synced' });
    outcomes.a = ids.length - outcomes.b;
    expect(violations).toEqual([]);
    expect([...creates.values()].every((n) => n === 1)).toBe(true);
    expect(creates.size).toBe(ids.length);
    // Both replicas did part of the work.
    expect(outcomes.b).toBeGreaterThan(0);
    expect(outcomes.a).toBeGreaterThan(0);
    const accounts = [];
    for await (const account of connector.listAccounts()) accounts.push(account.email);
    expect(new Set(accounts).size).toBe(accounts.length);
    // A job is completed just after its sync state is written: the queue drains right behind.
    await eventually(async () => ((await tb.store.jobStats()).find((s) => s.connection === 'redis-enterprise')?.pending ?? 0) === 0, { what: 'queue empty' });
  });
});
