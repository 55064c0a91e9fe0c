import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { createStore } from '../../src/directory/create-store.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { simRequests } from '../contract/connector-contract.js';
import { eventually } from '../helpers/bridge.js';
import { postgresSchemaUrl, scimCreate, startBridgeProcess, withConcurrency, writeConfig, type BridgeProcess } from './processes.js';

/**
 * Two bridge processes on one PostgreSQL behind a round-robin: no job runs twice (one create per
 * user reaches the target), no duplicate account, and one reconciler at a time.
 */
describe('two replicas on one PostgreSQL', () => {
  let sim: RunningSimulator;
  let drop: () => Promise<void>;
  let storeUrl: string;
  const replicas: BridgeProcess[] = [];
  beforeAll(async () => {
    // allowDuplicateEmails: a second create of one email succeeds, so a duplicate shows in the count.
    sim = await serveSimulator(connectorRegistry['redis-enterprise'].createSimulator({ latencyMs: 10, allowDuplicateEmails: true }));
    const schema = await postgresSchemaUrl();
    drop = schema.drop;
    storeUrl = schema.url;
    const credentials = connectorRegistry['redis-enterprise'].createSimulator().credentials;
    const config = writeConfig({ store: schema.url, targetUrl: sim.targetUrl, credentials, concurrency: 4, extra: 'reconcile: { intervalMs: 10000 }' });
    replicas.push(await startBridgeProcess(config), await startBridgeProcess(config));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.kill('SIGTERM')));
    await sim.close();
    await drop();
  });

  it('shares the work without running a job twice', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `replica${i}@example.com`);
    // Round-robin: even requests to the first replica, odd ones to the second.
    await withConcurrency(names, 8, async (name, i) => {
      expect(await scimCreate(replicas[i % 2]!.url, name)).toBe(201);
    });
    const connector = connectorRegistry['redis-enterprise'].createConnector({ ...connectorRegistry['redis-enterprise'].createSimulator().credentials, url: sim.targetUrl }, { logger: createSilentLogger() });
    try {
      await eventually(async () => {
        const emails: string[] = [];
        for await (const account of connector.listAccounts()) emails.push(account.email);
        return names.every((n) => emails.includes(n)) && emails.length === new Set(emails).size;
      }, { timeoutMs: 60_000, intervalMs: 500, what: 'all 200 accounts, no duplicate' });
    } finally {
      await connector.close();
    }
    const creates = (await simRequests(sim)).filter((r) => r.method === 'POST' && r.path.endsWith('/v1/users'));
    expect(creates).toHaveLength(names.length);
  });

  it('runs one reconciler at a time', async () => {
    // This process takes the reconcile lease the replicas share (the store's exclusive lock, opened
    // as they open it) and keeps it until each replica's scheduled reconcile has tried and been
    // refused; only the lines written after that count. Without the lease both simply reconcile.
    const store = createStore(storeUrl);
    try {
      const refusedWhileHeld = await store.withExclusiveLock('reconcile:redis-enterprise', async () => {
        const marks = replicas.map((r) => r.output.length);
        await eventually(async () => replicas.every((r, i) => reconciledSince(r, marks[i]!).some((l) => l.skipped === 'locked')), {
          timeoutMs: 40_000,
          intervalMs: 250,
          what: 'each replica to try to reconcile and be refused the lease',
        });
        return replicas.map((r, i) => reconciledSince(r, marks[i]!));
      });
      expect(refusedWhileHeld).toBeDefined();
      // While another process held the lease, no replica reconciled.
      for (const lines of refusedWhileHeld!) expect(lines.every((l) => l.skipped === 'locked'), JSON.stringify(lines)).toBe(true);
      // Let go: the next scheduled reconcile of one of them runs.
      const marks = replicas.map((r) => r.output.length);
      await eventually(async () => replicas.some((r, i) => reconciledSince(r, marks[i]!).some((l) => l.skipped === undefined)), {
        timeoutMs: 40_000,
        intervalMs: 250,
        what: 'a replica to reconcile once the lease is free',
      });
    } finally {
      await store.close();
    }
  });
});

/** The replica's "reconciled" log lines in the output chunks from `from` on (a line cut by a chunk boundary is left out). */
function reconciledSince(replica: BridgeProcess, from: number): { skipped?: string }[] {
  return replica.output
    .slice(from)
    .join('')
    .split('\n')
    .filter((line) => line.includes('"message":"reconciled"'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { skipped?: string }];
      } catch {
        return [];
      }
    });
}
