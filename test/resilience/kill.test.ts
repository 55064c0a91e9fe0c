import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import type { TargetAccount } from '../../src/connectors/types.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { eventually } from '../helpers/bridge.js';
import { postgresSchemaUrl, scimCreate, startBridgeProcess, withConcurrency, writeConfig, type BridgeProcess } from './processes.js';

/**
 * docs/architecture.md, promise 1: `kill -9` at any instant loses nothing an IdP was told succeeded.
 * A burst of 500 SCIM creates against a simulator with latency; the bridge is killed in the
 * middle; after a restart, every user that got a 2xx exists exactly once in the target with the
 * mapped role.
 */

const BURST = 500;

describe.each(['sqlite', 'postgres'] as const)('kill -9 during a burst (%s)', (kind) => {
  let sim: RunningSimulator;
  let store: string;
  let drop: (() => Promise<void>) | undefined;
  let bridge: BridgeProcess | undefined;
  beforeAll(async () => {
    // allowDuplicateEmails: a second create of one email succeeds, so a duplicate shows in the count.
    sim = await serveSimulator(connectorRegistry['redis-enterprise'].createSimulator({ latencyMs: 20, allowDuplicateEmails: true }));
    if (kind === 'sqlite') store = `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'scim-kill-')), 'bridge.db')}`;
    else ({ url: store, drop } = await postgresSchemaUrl());
  });
  afterAll(async () => {
    await bridge?.kill('SIGTERM');
    await sim.close();
    await drop?.();
  });

  it('every acknowledged create exists exactly once in the target after a restart', async () => {
    const simulator = connectorRegistry['redis-enterprise'].createSimulator();
    const config = writeConfig({ store, targetUrl: sim.targetUrl, credentials: simulator.credentials, concurrency: 4 });
    bridge = await startBridgeProcess(config);
    const first = bridge;
    const acknowledged: string[] = [];
    let answered = 0;
    const names = Array.from({ length: BURST }, (_, i) => `burst${i}@example.com`);
    await withConcurrency(names, 16, async (name) => {
      const status = await scimCreate(first.url, name);
      answered++;
      if (status === 201) acknowledged.push(name);
      // Kill in the middle of the burst, while requests and target calls are in flight.
      if (answered === 200) void first.kill('SIGKILL');
    });
    expect(await first.exited).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);
    expect(acknowledged.length).toBeLessThan(BURST);

    bridge = await startBridgeProcess(config);
    const connector = connectorRegistry['redis-enterprise'].createConnector({ ...simulator.credentials, url: sim.targetUrl }, { logger: createSilentLogger() });
    try {
      let accounts: TargetAccount[] = [];
      // Jobs the killed process had claimed wait for their lease (60 s, no longer renewed) to run out.
      await eventually(async () => {
        accounts = [];
        for await (const account of connector.listAccounts()) accounts.push(account);
        const emails = new Set(accounts.map((a) => a.email));
        return acknowledged.every((name) => emails.has(name));
      }, { timeoutMs: 120_000, intervalMs: 500, what: 'every acknowledged user in the target' });
      const counts = new Map<string, number>();
      for (const account of accounts) counts.set(account.email, (counts.get(account.email) ?? 0) + 1);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      for (const name of acknowledged) expect(accounts.find((a) => a.email === name)?.role).toBe('db_viewer');
    } finally {
      await connector.close();
    }
  });
});
