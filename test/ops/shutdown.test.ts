import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { eventually } from '../helpers/bridge.js';
import { startCli, type CliProcess } from './cli-process.js';
import { SCIM_TOKEN, scimUser, secretsIn, simulatorSecrets, writeBridgeConfig } from './ops-bridge.js';

/**
 * SIGTERM to the real CLI while a SCIM write is in flight: the bridge stops accepting
 * connections at once, answers the request it already had (after its target call and the
 * inline wait), exits 0, and leaves a consistent SQLite file with the job done.
 */

const TARGET_LATENCY_MS = 2_500;

async function simRequests(sim: RunningSimulator): Promise<{ method: string; status: number | null }[]> {
  return (await (await fetch(`${sim.url}/_sim/requests`)).json()) as { method: string; status: number | null }[];
}

async function isRefused(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch {
    return true;
  }
}

describe('graceful shutdown of `scim-bridge serve`', () => {
  let sim: RunningSimulator;
  let dir: string;
  let file: string;
  let bridge: CliProcess;

  beforeAll(async () => {
    const simulator = connectorRegistry.yardstik.createSimulator({ credentials: simulatorSecrets.yardstik });
    sim = await serveSimulator(simulator);
    dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-shutdown-'));
    const target = { ...simulator.credentials, url: sim.targetUrl };
    file = writeBridgeConfig(dir, new Map([['yardstik', target]]), {
      // The SCIM write waits (up to 10 s) for its first convergence attempt, which the target makes slow.
      connection: { sync: { inlineWaitMs: 10_000 } },
      config: { log: { level: 'info', format: 'json' } },
    });
    bridge = startCli(file, dir);
  }, 30_000);
  afterAll(async () => {
    if (bridge.child.exitCode === null && bridge.child.pid !== undefined) process.kill(bridge.child.pid, 'SIGKILL');
    await sim.close();
  });

  it('finishes the in-flight request and job, exits 0 and leaves the store consistent', async () => {
    const started = await bridge.waitForLine('scim-bridge started');
    const url = String(started.url);
    const fault = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', latencyMs: TARGET_LATENCY_MS, method: 'POST', count: 1 }),
    });
    expect(fault.status).toBe(204);
    let isAnswered = false;
    const write = fetch(`${url}/scim/v2/yardstik/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(scimUser('margaret.hamilton@example.com')),
    }).then(async (response) => {
      isAnswered = true;
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    });
    // The job is converging: the target has the POST and is sitting on it.
    await eventually(async () => (await simRequests(sim)).some((r) => r.method === 'POST' && r.status === null), { what: 'the target call in flight' });
    const signalledAt = Date.now();
    bridge.child.kill('SIGTERM');
    await eventually(() => isRefused(url), { what: 'new connections to be refused' });
    expect(isAnswered).toBe(false);

    const answer = await write;
    expect(answer.status).toBe(201);
    const sync = answer.body['urn:scim-bridge:schemas:extension:sync:1.0:User'] as Record<string, unknown>;
    expect(sync.state).toBe('synced');
    expect(await bridge.exited).toBe(0);
    // Not the 10 s fallback that drops stuck sockets: the bridge left once its work was done.
    expect(Date.now() - signalledAt).toBeLessThan(9_000);
    expect(bridge.lines.map((l) => l.message)).toEqual(expect.arrayContaining(['shutting down', 'scim-bridge stopped']));

    const db = new Database(path.join(dir, 'bridge.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT count(*) AS n FROM sync_jobs').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT status FROM sync_state').all()).toEqual([{ status: 'synced' }]);
    } finally {
      db.close();
    }
    const wal = path.join(dir, 'bridge.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as { users?: { email_address?: string }[] };
    expect(JSON.stringify(state)).toContain('margaret.hamilton@example.com');
  }, 40_000);

  it('logged at startup what runs where, without secrets', () => {
    const started = bridge.lines.find((l) => l.message === 'scim-bridge started');
    expect(started).toMatchObject({
      tls: false,
      config: file,
      store: `sqlite ${path.join(dir, 'bridge.db')}`,
      connections: [{ name: 'yardstik', type: 'yardstik', mode: 'eventual', drift: 'repair' }],
      admin: { access: 'loopback' },
    });
    const [connection] = started?.connections as { target: string; scim: string }[];
    expect(connection?.target.replace(/\/$/, '')).toBe(sim.targetUrl.replace(/\/$/, ''));
    expect(connection?.scim).toBe(`${String(started?.url)}/scim/v2/yardstik`);
    expect(String(started?.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const secrets = loadConfigFile(file, {}).secrets;
    expect(secrets).toEqual(expect.arrayContaining([SCIM_TOKEN, simulatorSecrets.yardstik.apiKey]));
    expect(secretsIn(bridge.output(), secrets)).toEqual([]);
    expect(JSON.stringify(started)).not.toContain('[redacted]');
  });
});
