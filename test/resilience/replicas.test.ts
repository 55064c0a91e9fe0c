import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { injectFault, simRequests } from '../contract/connector-contract.js';
import { eventually } from '../helpers/bridge.js';
import { postgresSchemaUrl, scimCreate, startBridgeProcess, withConcurrency, writeConfig, type BridgeProcess } from './processes.js';

/**
 * Two bridge processes on one PostgreSQL behind a round-robin: no job runs twice (one create per
 * user reaches the target), no duplicate account, and one reconciler at a time.
 */
describe('two replicas on one PostgreSQL', () => {
  let sim: RunningSimulator;
  let drop: () => Promise<void>;
  const replicas: BridgeProcess[] = [];
  beforeAll(async () => {
    // allowDuplicateEmails: a second create of one email succeeds, so a duplicate shows in the count.
    sim = await serveSimulator(connectorRegistry['redis-enterprise'].createSimulator({ latencyMs: 10, allowDuplicateEmails: true }));
    const schema = await postgresSchemaUrl();
    drop = schema.drop;
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
    // A slow listing makes both replicas' scheduled reconciles overlap: one must skip.
    await injectFault(sim, { kind: 'latency', latencyMs: 3_000, method: 'GET', pathIncludes: '/v1/users', count: 4 });
    await eventually(async () => replicas.every((r) => /"message":"reconciled"/.test(r.output.join(''))), { timeoutMs: 40_000, intervalMs: 500, what: 'both replicas reconciled' });
    const lines = replicas.flatMap((r) => r.output.join('').split('\n').filter((l) => l.includes('"message":"reconciled"')).map((l) => JSON.parse(l) as { skipped?: string }));
    expect(lines.some((l) => l.skipped === 'locked')).toBe(true);
    expect(lines.some((l) => l.skipped === undefined)).toBe(true);
  });
});
