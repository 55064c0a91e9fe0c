import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/bridge.js';
import { secretsIn, scimUser, startOpsBridge, type OpsBridge } from './ops-bridge.js';
import { parseMetrics, sumOf, valueOf, type Sample } from './prometheus.js';

async function scrape(ops: OpsBridge): Promise<{ text: string; samples: Sample[] }> {
  const response = await supertest(ops.bridge.url).get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: response.text, samples: parseMetrics(response.text) };
}

async function inject(ops: OpsBridge, fault: Record<string, unknown> | null): Promise<void> {
  const sim = ops.sims.get('yardstik');
  if (!sim) throw new Error('no yardstik simulator');
  const response = await fetch(`${sim.url}/_sim/faults`, fault ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) } : { method: 'DELETE' });
  expect(response.ok).toBe(true);
}

describe('/metrics', () => {
  let ops: OpsBridge;

  beforeAll(async () => {
    ops = await startOpsBridge({ types: ['yardstik', 'redis-enterprise'] });
  });
  afterAll(() => ops.close());

  it('serves valid Prometheus text with process metrics and the bridge info', async () => {
    const { text, samples } = await scrape(ops);
    expect(valueOf(samples, 'scim_bridge_info', { store: 'sqlite' })).toBe(1);
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    expect(valueOf(samples, 'scim_bridge_store_up')).toBe(1);
    for (const connection of ['yardstik', 'redis-enterprise']) {
      expect(valueOf(samples, 'scim_bridge_outbox_jobs', { connection, state: 'pending' })).toBe(0);
      expect(valueOf(samples, 'scim_bridge_outbox_oldest_job_age_seconds', { connection })).toBe(0);
    }
  });

  it('moves request, job and target-call counters when SCIM writes converge', async () => {
    for (const email of ['ada.lovelace@example.com', 'alan.turing@example.com']) {
      await ops.scim('yardstik').post('/Users', scimUser(email)).expect(201);
    }
    await ops.scim('redis-enterprise').post('/Users', scimUser('grace.hopper@example.com')).expect(201);
    await ops.scim('yardstik').get('/Users?filter=userName%20eq%20%22nobody%40example.com%22').expect(200);
    await supertest(ops.bridge.url).get('/scim/v2/yardstik/Users').set('Authorization', 'Bearer wrong-token-000000').expect(401);
    const { samples } = await eventually(async () => {
      const scraped = await scrape(ops);
      return valueOf(scraped.samples, 'scim_bridge_users', { connection: 'yardstik', status: 'synced' }) === 2 && scraped;
    }, { what: 'two synced yardstik users in the metrics' });
    expect(valueOf(samples, 'scim_bridge_scim_requests_total', { connection: 'yardstik', resource: 'Users', method: 'POST', status: '201' })).toBe(2);
    expect(valueOf(samples, 'scim_bridge_scim_requests_total', { connection: 'yardstik', resource: 'Users', method: 'GET', status: '200' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_scim_requests_total', { connection: 'yardstik', resource: 'Users', method: 'GET', status: '401' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_scim_request_duration_seconds_count', { connection: 'yardstik', resource: 'Users', method: 'POST' })).toBe(2);
    expect(valueOf(samples, 'scim_bridge_sync_jobs_total', { connection: 'yardstik', result: 'synced' })).toBe(2);
    expect(valueOf(samples, 'scim_bridge_sync_job_duration_seconds_count', { connection: 'yardstik' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'scim_bridge_target_calls_total', { connection: 'yardstik', method: 'POST', route: '/accounts/{accountId}/users', outcome: 'ok' })).toBe(2);
    expect(sumOf(samples, 'scim_bridge_target_call_duration_seconds_count', { connection: 'redis-enterprise', method: 'POST' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_directory_users', { connection: 'yardstik' })).toBe(2);
    expect(valueOf(samples, 'scim_bridge_managed_accounts', { connection: 'yardstik' })).toBe(2);
    // No request path or id becomes a label: a client cannot add series.
    expect(samples.some((s) => Object.values(s.labels).some((v) => v.includes('example.com')))).toBe(false);
  });

  it('shows queued jobs, their age and retries while the target fails, and recovers', async () => {
    await inject(ops, { kind: 'status', status: 503, method: 'POST', rate: 1 });
    await ops.scim('yardstik').post('/Users', scimUser('edsger.dijkstra@example.com')).expect(201);
    const stuck = await eventually(async () => {
      const { samples } = await scrape(ops);
      const retries = valueOf(samples, 'scim_bridge_sync_job_retries_total', { connection: 'yardstik', code: 'TARGET_UNAVAILABLE' }) ?? 0;
      return retries >= 1 && valueOf(samples, 'scim_bridge_outbox_jobs', { connection: 'yardstik', state: 'pending' }) === 1 && samples;
    }, { what: 'a retried job in the outbox' });
    expect(valueOf(stuck, 'scim_bridge_sync_jobs_total', { connection: 'yardstik', result: 'retry' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(stuck, 'scim_bridge_target_calls_total', { connection: 'yardstik', method: 'POST', route: '/accounts/{accountId}/users', outcome: 'TARGET_UNAVAILABLE' })).toBeGreaterThanOrEqual(1);
    await eventually(async () => (valueOf((await scrape(ops)).samples, 'scim_bridge_outbox_oldest_job_age_seconds', { connection: 'yardstik' }) ?? 0) > 0, {
      what: 'a waiting job with an age',
    });
    await inject(ops, null);
    await eventually(async () => {
      const { samples } = await scrape(ops);
      return valueOf(samples, 'scim_bridge_outbox_jobs', { connection: 'yardstik', state: 'pending' }) === 0 && valueOf(samples, 'scim_bridge_users', { connection: 'yardstik', status: 'synced' }) === 3;
    }, { timeoutMs: 20_000, what: 'the outbox to drain after the target recovers' });
  });

  it('counts drift the reconciler finds and queues for repair', async () => {
    const connection = ops.bridge.engine.connection('yardstik');
    const account = await connection?.connector.findByEmail('ada.lovelace@example.com');
    if (!connection || !account) throw new Error('the yardstik account of ada is missing');
    await connection.connector.deleteAccount(account);
    const [report] = await ops.bridge.reconciler.runNow(['yardstik']);
    expect(report?.drift.map((d) => d.kind)).toEqual(['deleted-in-target']);
    const { samples } = await scrape(ops);
    expect(valueOf(samples, 'scim_bridge_drift_found_total', { connection: 'yardstik', kind: 'deleted-in-target' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_drift_repaired_total', { connection: 'yardstik', kind: 'deleted-in-target' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_reconcile_last_run_ok', { connection: 'yardstik' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_reconcile_target_accounts', { connection: 'yardstik' })).toBe(report?.accounts);
    await eventually(async () => (await connection.connector.findByEmail('ada.lovelace@example.com')) !== null, { what: 'the repair to recreate the account' });
  });

  it('reports target access from the cache without waiting on targets', async () => {
    const { samples } = await eventually(async () => {
      const scraped = await scrape(ops);
      return valueOf(scraped.samples, 'scim_bridge_target_access_ok', { connection: 'redis-enterprise' }) !== undefined && scraped;
    }, { what: 'an access sample' });
    expect(valueOf(samples, 'scim_bridge_target_access_ok', { connection: 'redis-enterprise' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_target_access_ok', { connection: 'yardstik' })).toBe(1);
  });

  it('never contains a configured secret', async () => {
    const { text } = await scrape(ops);
    expect(ops.secrets.length).toBeGreaterThanOrEqual(3);
    expect(secretsIn(text, ops.secrets)).toEqual([]);
    expect(text).not.toContain('[redacted]');
  });

  it('keeps one registry per bridge', async () => {
    const other = await startOpsBridge({ types: ['yardstik'] });
    try {
      const { samples } = await scrape(other);
      expect(sumOf(samples, 'scim_bridge_scim_requests_total')).toBe(0);
      expect(valueOf(samples, 'scim_bridge_info', { store: 'sqlite' })).toBe(1);
      const mine = await scrape(ops);
      expect(sumOf(mine.samples, 'scim_bridge_scim_requests_total')).toBeGreaterThanOrEqual(5);
    } finally {
      await other.close();
    }
  });
});
