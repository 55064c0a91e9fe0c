import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { eventually } from '../helpers/bridge.js';
import { ADMIN_TOKEN, secretsIn, startOpsBridge, type OpsBridge } from './ops-bridge.js';

interface Check {
  name: string;
  ok: boolean;
  critical: boolean;
  identity?: string;
  problems?: string[];
  checkedAt?: string;
}

const VIEWER = { email: 'viewer@example.com', password: 'viewer-pass-K2dLs8Qe' };

async function requestCount(sim: RunningSimulator | undefined): Promise<number> {
  if (!sim) throw new Error('no simulator');
  return ((await (await fetch(`${sim.url}/_sim/requests`)).json()) as unknown[]).length;
}

async function readyz(ops: OpsBridge, authorization: string | null = `Bearer ${ADMIN_TOKEN}`): Promise<{ status: number; body: { ready: boolean; status: string; checks: Check[] }; text: string }> {
  const request = supertest(ops.bridge.url).get('/readyz');
  const response = await (authorization === null ? request : request.set('Authorization', authorization));
  return { status: response.status, body: response.body as { ready: boolean; status: string; checks: Check[] }, text: response.text };
}

describe('/readyz with wrong credentials or rights', () => {
  let ops: OpsBridge;

  beforeAll(async () => {
    ops = await startOpsBridge({
      types: ['redis-cloud', 'redis-enterprise', 'yardstik', 'paradime'],
      // Redis Cloud: the API key belongs to a Member, not an Owner.
      simulators: { 'redis-cloud': { apiKeyUser: { role: 'Member' } } },
      // Redis Enterprise: sign in as a cluster_viewer, who may read users but not manage them. Yardstik: a wrong key.
      targets: { 'redis-enterprise': { username: VIEWER.email, password: VIEWER.password }, yardstik: { apiKey: 'ys-wrong-key-T5vNq1Zc' } },
      beforeStart: async (sims) => {
        const response = await fetch(`${sims.get('redis-enterprise')?.url}/_sim/seed`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ users: [{ email: VIEWER.email, role: 'cluster_viewer', password: VIEWER.password }] }),
        });
        expect(response.status).toBe(201);
      },
      accessCacheMs: 1_500,
      config: { http: { requestsPerMinute: 100_000, adminToken: ADMIN_TOKEN } },
    });
  });
  afterAll(() => ops.close());

  it('answers the public only its status: no connection, identity, workspace, timing or problem', async () => {
    await readyz(ops);
    const { status, body, text } = await readyz(ops, null);
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'degraded' });
    for (const leak of ['redis-cloud', 'paradime', 'yardstik', VIEWER.email, 'workspace', 'Member', 'cluster_viewer', 'ms']) expect(text).not.toContain(leak);
  });

  it('a public probe never calls a target, however often it comes', async () => {
    const sims = [...ops.sims.values()];
    // Past the cache's lifetime, so a probe that checked targets would have to call them.
    await eventually(async () => Date.now() - (ops.bridge.access.latest('paradime')?.checkedAt ?? 0) > 1_600, { what: 'the cached answer to expire', intervalMs: 100 });
    const before = await Promise.all(sims.map(requestCount));
    await Promise.all(Array.from({ length: 20 }, () => readyz(ops, null)));
    for (let i = 0; i < 10; i++) expect((await readyz(ops, null)).status).toBe(200);
    expect(await Promise.all(sims.map(requestCount))).toEqual(before);
  });

  it('a wrong admin token gets 401, not the details', async () => {
    const { status, text } = await readyz(ops, 'Bearer not-the-admin-token-000');
    expect(status).toBe(401);
    expect(text).not.toContain(VIEWER.email);
  });

  it('with the admin token, says per connection which credentials or rights are wrong, and stays ready (degraded)', async () => {
    const { status, body, text } = await readyz(ops);
    expect(status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.status).toBe('degraded');
    const byName = new Map(body.checks.map((c) => [c.name, c]));
    expect(byName.get('store')).toMatchObject({ ok: true, critical: true });
    expect(byName.get('target:redis-cloud')).toMatchObject({ ok: false, critical: false });
    expect(byName.get('target:redis-cloud')?.problems?.join()).toMatch(/a Member: only an Owner's key can change users/);
    expect(byName.get('target:redis-enterprise')).toMatchObject({ ok: false, identity: VIEWER.email });
    expect(byName.get('target:redis-enterprise')?.problems?.join()).toMatch(/management role cluster_viewer: only admin or user_manager/);
    expect(byName.get('target:yardstik')).toMatchObject({ ok: false });
    expect(byName.get('target:yardstik')?.problems?.join()).toMatch(/apiKey|401|credential/i);
    expect(byName.get('target:paradime')).toMatchObject({ ok: true });
    expect(byName.get('target:paradime')?.problems).toBeUndefined();
    expect(secretsIn(text, ops.secrets)).toEqual([]);
  });

  it('answers admin polls from a short cache, one target call per connection at a time', async () => {
    const sim = ops.sims.get('paradime');
    // Wait without asking (asking would refresh the cache).
    await eventually(async () => Date.now() - (ops.bridge.access.latest('paradime')?.checkedAt ?? 0) > 1_600, { what: 'the cached answer to expire', intervalMs: 100 });
    const before = await requestCount(sim);
    await Promise.all(Array.from({ length: 5 }, () => readyz(ops)));
    const afterBurst = await requestCount(sim);
    const perCheck = afterBurst - before;
    expect(perCheck).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 5; i++) await readyz(ops);
    expect(await requestCount(sim)).toBe(afterBurst);
    await eventually(async () => {
      await readyz(ops);
      return (await requestCount(sim)) > afterBurst;
    }, { what: 'a fresh check after the cache expires', intervalMs: 200 });
    expect((await requestCount(sim)) - afterBurst).toBe(perCheck);
  });
});
