import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/net/listen.js';
import { SCIM_TOKEN, secretsIn, startOpsBridge, type OpsBridge } from './ops-bridge.js';

/** HTTPS from `listen.tls`: a self-signed certificate made for the test, trusted by the client only. */

const makeCertificate = (): { cert: string; key: string } => selfSignedCertificate(1);

describe('HTTPS', () => {
  let ops: OpsBridge;
  let trusting: Agent;
  let cert: string;

  beforeAll(async () => {
    const pems = makeCertificate();
    cert = pems.cert;
    const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-tls-'));
    writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
    writeFileSync(path.join(dir, 'key.pem'), pems.key, { mode: 0o600 });
    ops = await startOpsBridge({ config: { listen: { host: '127.0.0.1', port: 0, tls: { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') } } } });
    trusting = new Agent({ connect: { ca: cert } });
  }, 30_000);
  afterAll(async () => {
    await trusting?.close();
    await ops?.close();
  });

  it('serves health, SCIM and metrics over TLS with the configured certificate', async () => {
    expect(ops.bridge.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await undiciFetch(`${ops.bridge.url}/healthz`, { dispatcher: trusting });
    expect(health.status).toBe(200);
    const users = await undiciFetch(`${ops.bridge.url}/scim/v2/yardstik/Users`, { dispatcher: trusting, headers: { authorization: `Bearer ${SCIM_TOKEN}` } });
    expect(users.status).toBe(200);
    expect(await users.json()).toMatchObject({ totalResults: 0 });
    const metrics = await undiciFetch(`${ops.bridge.url}/metrics`, { dispatcher: trusting });
    expect(await metrics.text()).toContain('scim_bridge_scim_requests_total{connection="yardstik",resource="Users",method="GET",status="200"} 1');
  });

  it('is really TLS: an untrusting client refuses the certificate, plain HTTP gets nothing', async () => {
    const untrusting = new Agent();
    try {
      await expect(undiciFetch(`${ops.bridge.url}/healthz`, { dispatcher: untrusting })).rejects.toThrow();
    } finally {
      await untrusting.close();
    }
    const plain = await undiciFetch(ops.bridge.url.replace('https:', 'http:') + '/healthz').then((r) => r.status, () => 'refused');
    expect(plain).not.toBe(200);
  });

  it('says so in the startup log, without secrets', () => {
    const line = ops.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'scim-bridge started');
    expect(line).toMatchObject({ tls: true, url: ops.bridge.url });
    expect(secretsIn(ops.logs.join('\n'), ops.secrets)).toEqual([]);
  });
});
