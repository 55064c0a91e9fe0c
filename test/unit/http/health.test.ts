import express from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AdminCaller } from '../../../src/http/admin-access.js';
import { errorMiddleware } from '../../../src/http/errors.js';
import { healthRoutes, type ReadinessCheck } from '../../../src/http/health.js';
import { createSilentLogger } from '../../../src/logging/logger.js';

/** /healthz and /readyz: the public answer is the status alone; details for admins only. */

function app(checks: ReadinessCheck[], caller: AdminCaller = 'anonymous'): supertest.Agent {
  return supertest.agent(express().use(healthRoutes({ readiness: checks, callerOf: () => caller })).use(errorMiddleware(createSilentLogger())));
}

const store = (fails: boolean): ReadinessCheck => ({ name: 'store', critical: true, check: async () => (fails ? Promise.reject(new Error('connect ECONNREFUSED db.internal:5432')) : undefined) });
const target = (calls: string[], cached: Record<string, unknown> | undefined): ReadinessCheck => ({
  name: 'target:x',
  critical: false,
  check: async ({ mayCallTargets }) => {
    if (mayCallTargets) calls.push('call');
    return mayCallTargets ? { ok: false, identity: 'key-owner@example.com', problems: ['wrong rights'] } : (cached ?? { ok: true, checked: false });
  },
});

describe('health routes', () => {
  it('/healthz is always the bare status', async () => {
    expect((await app([]).get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('a public /readyz with the store down is 503 {"status":"unready"} and names nothing', async () => {
    const response = await app([store(true)]).get('/readyz').expect(503);
    expect(response.body).toEqual({ status: 'unready' });
    expect(response.text).not.toContain('db.internal');
  });

  it('a public /readyz reports what the last target check found, without calling the target', async () => {
    const calls: string[] = [];
    expect((await app([store(false), target(calls, undefined)]).get('/readyz').expect(200)).body).toEqual({ status: 'ready' });
    expect((await app([store(false), target(calls, { ok: false })]).get('/readyz').expect(200)).body).toEqual({ status: 'degraded' });
    expect(calls).toEqual([]);
  });

  it('an admin gets every check with its details, checked live; wrong credentials get 401', async () => {
    const calls: string[] = [];
    const body = (await app([store(false), target(calls, undefined)], 'admin').get('/readyz').expect(200)).body as { status: string; checks: { name: string; identity?: string }[] };
    expect(body.status).toBe('degraded');
    expect(body.checks.map((c) => c.name)).toEqual(['store', 'target:x']);
    expect(body.checks[1]?.identity).toBe('key-owner@example.com');
    expect(calls).toEqual(['call']);
    await app([store(false)], 'refused').get('/readyz').expect(401);
  });
});
