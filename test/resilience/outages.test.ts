import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import type { Connector } from '../../src/connectors/types.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { injectFault, simControl } from '../contract/connector-contract.js';
import { eventually } from '../helpers/bridge.js';
import { postgresSchemaUrl, RESILIENCE_TOKEN, scimCreate, startBridgeProcess, withConcurrency, writeConfig, type BridgeProcess } from './processes.js';

/**
 * Outages: the target refusing connections then answering 503 (writes keep being accepted and
 * converge after it returns), and PostgreSQL restarted under load (503 meanwhile, recovery by
 * itself, nothing lost).
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function emailsIn(connector: Connector): Promise<Set<string>> {
  const emails = new Set<string>();
  for await (const account of connector.listAccounts()) emails.add(account.email);
  return emails;
}

const credentials = connectorRegistry['redis-enterprise'].createSimulator().credentials;

describe('outages', () => {
  let bridge: BridgeProcess | undefined;
  let sim: RunningSimulator | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await bridge?.kill('SIGTERM');
    await sim?.close();
    await drop?.();
    bridge = sim = drop = undefined;
  });

  it('accepts writes while the target refuses connections and then answers 503, and converges once it is back', async () => {
    const port = await freePort();
    const targetUrl = `http://127.0.0.1:${port}`;
    const schema = await postgresSchemaUrl();
    drop = schema.drop;
    bridge = await startBridgeProcess(writeConfig({ store: schema.url, targetUrl, credentials }));
    const names = Array.from({ length: 20 }, (_, i) => `down${i}@example.com`);
    for (const name of names) expect(await scimCreate(bridge.url, name)).toBe(201);

    // The target comes back, but answers 503 for a while.
    sim = await serveSimulator(connectorRegistry['redis-enterprise'].createSimulator(), { port });
    await injectFault(sim, { kind: 'status', status: 503, count: 30 });
    const connector = connectorRegistry['redis-enterprise'].createConnector({ ...credentials, url: targetUrl }, { logger: createSilentLogger(), retries: 5, backoffMs: 50 });
    try {
      await eventually(async () => {
        const emails = await emailsIn(connector);
        return names.every((n) => emails.has(n));
      }, { timeoutMs: 90_000, intervalMs: 500, what: 'all users converged' });
    } finally {
      await connector.close();
    }
  });

  it('answers 503 while PostgreSQL restarts, recovers by itself and loses nothing', async () => {
    sim = await serveSimulator(connectorRegistry['redis-enterprise'].createSimulator());
    const schema = await postgresSchemaUrl();
    drop = schema.drop;
    bridge = await startBridgeProcess(writeConfig({ store: schema.url, targetUrl: sim.targetUrl, credentials }));
    const running = bridge;
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    const names = Array.from({ length: 300 }, (_, i) => `pgrestart${i}@example.com`);
    let sent = 0;
    const load = withConcurrency(names, 4, async (name) => {
      sent++;
      const status = await scimCreate(running.url, name);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 201) acknowledged.push(name);
      await new Promise((resolve) => setTimeout(resolve, 10));
    });
    await eventually(async () => sent >= 60, { what: 'load under way' });
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'stop', '-m', 'fast']);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'start']);
    await load;
    // Meanwhile the bridge answered 503 (never a 404, a 500 or a dropped connection).
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].sort()).toEqual([201, 503]);
    expect(await scimCreate(running.url, 'after-restart@example.com')).toBe(201);
    acknowledged.push('after-restart@example.com');
    const connector = connectorRegistry['redis-enterprise'].createConnector({ ...credentials, url: sim.targetUrl }, { logger: createSilentLogger() });
    try {
      await eventually(async () => {
        const emails = await emailsIn(connector);
        return acknowledged.every((n) => emails.has(n));
      }, { timeoutMs: 60_000, intervalMs: 500, what: 'every acknowledged user in the target' });
      const response = await fetch(`${running.url}/scim/v2/redis-enterprise/Users?count=0`, { headers: { authorization: `Bearer ${RESILIENCE_TOKEN}` } });
      expect(((await response.json()) as { totalResults: number }).totalResults).toBe(acknowledged.length);
    } finally {
      await connector.close();
    }
  });
});
