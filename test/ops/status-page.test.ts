import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStatusPage } from '../../src/http/status-page.js';
import type { StatusReport } from '../../src/observability/status-report.js';
import { ADMIN_TOKEN, secretsIn, type OpsBridge } from './ops-bridge.js';
import { FAILED, startStatusScenario, SYNCED, VIEWER } from './scenario.js';

const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

/** A report with an attacker-chosen string in every field a target or an IdP can influence. */
function hostileReport(): StatusReport {
  return {
    generatedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
    version: hostile,
    store: hostile,
    connections: [
      {
        name: hostile,
        type: hostile,
        mode: hostile,
        drift: hostile,
        access: { connection: hostile, ok: false, identity: hostile, problems: [hostile], checkedAt: 0, ms: 1 },
        summary: { connection: hostile, users: 1, managed: 1, byStatus: { pending: 0, synced: 0, failed: 1, unsupported: 0, held: 1 }, topErrors: [{ code: hostile, message: hostile, count: 1 }] },
        queue: { connection: hostile, pending: 1, held: 1, failed: 1, oldestAgeMs: 5_000 },
        held: [{ userId: hostile, userName: hostile, reason: hostile, since: 0 }],
        reconcile: { connection: hostile, accounts: 1, drift: [], queued: 0, unmanaged: { accounts: 1, queued: 0 }, at: 0, error: hostile },
        unmanaged: {
          connection: hostile, at: 0, policy: 'report', total: 2,
          accounts: [{ email: hostile, targetId: hostile, name: hostile, role: hostile, accountStatus: 'active', protection: null, action: 'report', note: hostile, firstSeenAt: 0 }],
        },
        recentErrors: [{ at: 0, userId: hostile, userName: hostile, outcome: hostile, code: hostile, message: hostile }],
      },
    ],
  };
}

describe('status page rendering', () => {
  it('escapes every value', () => {
    const html = renderStatusPage(hostileReport());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    // One escaped copy per field: name (twice), type, mode, drift, identity, problem, code, message, held user and reason, reconcile error, recent error fields, version, store.
    expect(html.split('&#60;script&#62;').length - 1).toBeGreaterThanOrEqual(15);
  });
});

describe('GET /status', () => {
  let ops: OpsBridge;
  let html: string;

  beforeAll(async () => {
    ops = await startStatusScenario({ config: { http: { requestsPerMinute: 100_000, adminToken: ADMIN_TOKEN } } });
    const response = await supertest(ops.bridge.url).get('/status').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['cache-control']).toBe('no-store');
    html = response.text;
  }, 60_000);
  afterAll(() => ops.close());

  it('needs the admin token once one is configured, even on loopback', async () => {
    const agent = supertest(ops.bridge.url);
    for (const path of ['/status', '/metrics']) {
      await agent.get(path).expect(401);
      await agent.get(path).set('Authorization', 'Bearer not-the-admin-token-000').expect(401);
      await agent.get(path).set('Authorization', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`).expect(200);
    }
    await agent.get('/healthz').expect(200);
  });

  it('shows each connection with reachability, counts, reasons, held jobs, reconcile and errors', () => {
    const yardstik = section(html, 'yardstik');
    expect(yardstik).toContain('Target reachable');
    expect(count(yardstik, 'synced')).toBe(SYNCED.length - 2);
    expect(count(yardstik, 'failed')).toBe(1);
    expect(yardstik).toContain('Top reasons');
    expect(yardstik).toContain('TARGET_REJECTED');
    expect(yardstik).toContain('Held jobs');
    expect(yardstik).toContain(SYNCED[3]);
    expect(yardstik).toMatch(/mass-deprovisioning guard: more than 1 of \d managed accounts/);
    expect(yardstik).toMatch(/Last reconcile <time[^>]*>[^<]*<\/time>: \d+ target accounts/);
    expect(yardstik).toContain('Recent errors');
    expect(section(html, 'yardstik').split('Recent errors')[1]).toContain(FAILED);

    const enterprise = section(html, 'redis-enterprise');
    expect(enterprise).toContain('Target problem');
    expect(enterprise).toContain(VIEWER.email);
    expect(enterprise).toContain('management role cluster_viewer: only admin or user_manager may create, update and delete users');
    expect(count(enterprise, 'failed')).toBe(1);
    expect(enterprise).toContain('TARGET_AUTH');
    expect(html).toContain('2 connections need attention');
  });

  it('has no secret and no script', () => {
    expect(secretsIn(html, ops.secrets)).toEqual([]);
    expect(html).not.toContain('[redacted]');
    expect(html).not.toMatch(/<script/i);
  });
});

function section(html: string, connection: string): string {
  const start = html.indexOf(`<section id="connection-${connection}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

function count(html: string, label: string): number {
  const match = new RegExp(`<dt>${label}</dt><dd>(\\d+)</dd>`).exec(html);
  return Number(match?.[1]);
}
