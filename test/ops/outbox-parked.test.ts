import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { simControl } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person, waitForSync } from '../e2e/sync-helpers.js';
import { parseMetrics, valueOf } from './prometheus.js';

/**
 * A user that failed for good waits hours for its next try (sync.failedRetryMs) with its job in
 * the outbox. That job is no change the target is slow to take: it must not count as pending nor
 * age the outbox (the "stuck" alert), and it stays visible as `failed`.
 */
describe.each(['sqlite', 'postgres'] as const)('parked failed jobs on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('count as failed, not pending, and leave the oldest-job age at zero', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'] });
    const sim = tb.sims.get('yardstik')!;
    // A 400 is permanent: the user is failed and its job parked for the long backoff.
    await simControl(sim, '/faults', { kind: 'status', status: 400, method: 'POST', rate: 1 });
    const id = await createScimUser(tb, 'yardstik', okta.createUser(person('parked')));
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'failed', 'failed for good');
    // The job is parked after the state is written: wait for the queue figures, then hold them to it.
    const stats = await eventually(async () => (await tb!.store.jobStats()).find((s) => s.connection === 'yardstik' && s.failed === 1), { what: 'the job parked' });
    expect(stats).toMatchObject({ pending: 0, held: 0, failed: 1, oldestAgeMs: null });
    const samples = parseMetrics((await supertest(tb.bridge.url).get('/metrics').expect(200)).text);
    expect(valueOf(samples, 'scim_bridge_outbox_jobs', { connection: 'yardstik', state: 'pending' })).toBe(0);
    expect(valueOf(samples, 'scim_bridge_outbox_jobs', { connection: 'yardstik', state: 'failed' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_outbox_oldest_job_age_seconds', { connection: 'yardstik' })).toBe(0);
    expect(valueOf(samples, 'scim_bridge_users', { connection: 'yardstik', status: 'failed' })).toBe(1);
  });
});
