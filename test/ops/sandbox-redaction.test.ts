import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandbox, sandboxCredentials } from '../../src/config/sandbox.js';
import { createLogger } from '../../src/logging/logger.js';
import { startBridge, type RunningBridge } from '../../src/main.js';
import { secretsIn } from './ops-bridge.js';
import { logLines } from '../helpers/bridge.js';

/**
 * The sandbox treats its simulators' credentials as secrets, and redacting them mangles nothing:
 * `admin@sandbox.local` and the `/sandbox/` paths read as they are on /status and in the logs.
 */

const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** A port that was free a moment ago (the sandbox builds its target URLs from its own port). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the sandbox and redaction', () => {
  let bridge: RunningBridge;
  let secrets: string[];
  const logs: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    const sandbox = buildSandbox({ PORT: String(port) }, mkdtempSync(path.join(tmpdir(), 'scim-bridge-sandbox-')), appRoot);
    secrets = sandbox.loaded.secrets;
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    bridge = await startBridge(sandbox.loaded, {
      simulators: sandbox.simulators,
      logger: createLogger({ level: 'debug', format: 'json', stream, secrets }),
      port,
      runWorkers: false,
    });
  });
  afterAll(() => bridge.close());

  it('counts the simulators credentials among its secrets, none of them a word of a hostname', () => {
    const credentials = Object.values(sandboxCredentials).flatMap((c) => Object.values(c));
    expect(secrets).toEqual(expect.arrayContaining(credentials));
    for (const credential of credentials) expect(`admin@sandbox.local owner@sandbox.local ${bridge.url}/sandbox/paradime/api/v1/sandbox/graphql`).not.toContain(credential);
  });

  it('shows admin@sandbox.local on /status, unmangled, and no secret', async () => {
    const html = await (await fetch(`${bridge.url}/status`)).text();
    expect(html).toContain('admin@sandbox.local');
    expect(html).not.toContain('[redacted]');
    expect(secretsIn(html, secrets)).toEqual([]);
  });

  it('logs the startup line and target calls without mangling and without secrets', async () => {
    const text = logs.join('');
    expect(text).toContain('"message":"scim-bridge started"');
    expect(text).toContain('/sandbox/');
    expect(text).not.toContain('[redacted]');
    expect(secretsIn(text, secrets)).toEqual([]);
  });

  it('its simulators answer the credentials the README walk-through uses', async () => {
    const { apiKey, apiSecretKey } = sandboxCredentials['redis-cloud'] as { apiKey: string; apiSecretKey: string };
    const response = await fetch(`${bridge.url}/sandbox/redis-cloud/v1/users`, { headers: { 'x-api-key': apiKey, 'x-api-secret-key': apiSecretKey } });
    expect(response.status).toBe(200);
  });

  it('logs the simulators\' own request lines at debug, the bridge\'s at info', async () => {
    await fetch(`${bridge.url}/sandbox/yardstik/_sim/state`);
    await fetch(`${bridge.url}/healthz`);
    const lines = logLines(logs);
    const access = lines.filter((l) => l.message === 'request');
    expect(access.find((l) => l.path === '/sandbox/yardstik/_sim/state')?.level).toBe('debug');
    expect(access.find((l) => l.path === '/healthz')?.level).toBe('info');
  });
});
