import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { startBridgeProcess, writeConfig, type BridgeProcess } from '../resilience/processes.js';

/**
 * Two bridge processes with the same http.tokenSigningKey accept each other's access tokens,
 * with a store each (so no shared state but the key); a third, mid-rotation, shows what the key
 * list does.
 * Runs the built bridge (`npm test` builds it first).
 */

const KEY = 'replica-signing-key-0123456789abcdef';
const NEXT = 'replica-signing-key-next-0123456789ab';
const CLIENT = { clientId: 'entra', clientSecret: 'replica-client-secret-0123456789' };

describe('OAuth access tokens across bridge processes', () => {
  let sim: RunningSimulator;
  const processes: BridgeProcess[] = [];

  const start = async (keys: string[]): Promise<BridgeProcess> => {
    const store = `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'scim-bridge-oauth-')), 'bridge.db')}`;
    const credentials = connectorRegistry['redis-enterprise'].createSimulator().credentials;
    const config = writeConfig({
      store,
      targetUrl: sim.targetUrl,
      credentials,
      scim: `{ oauth: { clientId: ${CLIENT.clientId}, clientSecret: ${JSON.stringify(CLIENT.clientSecret)} } }`,
      http: `{ requestsPerMinute: 1000000, tokenSigningKey: ${JSON.stringify(keys)} }`,
    });
    const bridge = await startBridgeProcess(config);
    processes.push(bridge);
    return bridge;
  };
  const tokenFrom = async (bridge: BridgeProcess): Promise<string> => {
    const response = await fetch(`${bridge.url}/oauth/redis-enterprise/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const usersStatus = async (bridge: BridgeProcess, token: string): Promise<number> => {
    const response = await fetch(`${bridge.url}/scim/v2/redis-enterprise/Users?count=0`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  };

  beforeAll(async () => {
    sim = await serveSimulator(connectorRegistry['redis-enterprise'].createSimulator());
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await sim.close();
  });

  it('each accepts the tokens the other issued, with no store in common', async () => {
    const [first, second, rotated] = await Promise.all([start([KEY]), start([KEY]), start([NEXT, KEY])]);
    const fromFirst = await tokenFrom(first);
    const fromSecond = await tokenFrom(second);
    expect(await usersStatus(second, fromFirst)).toBe(200);
    expect(await usersStatus(first, fromSecond)).toBe(200);
    // Rotation: a bridge that lists a new key first signs with it and still accepts tokens of the old one...
    expect(await usersStatus(rotated, fromFirst)).toBe(200);
    // ...while a bridge without the new key refuses what it signs: add a key everywhere before any bridge signs with it.
    const fromRotated = await tokenFrom(rotated);
    expect(await usersStatus(rotated, fromRotated)).toBe(200);
    expect(await usersStatus(first, fromRotated)).toBe(401);
  });
});
