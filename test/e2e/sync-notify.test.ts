import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as okta from '../fixtures/okta/requests.js';
import { signatureProblem } from '../../src/notify/signature.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { startReceiver, type Receiver } from '../notify/receiver.js';
import { parseMetrics, valueOf } from '../ops/prometheus.js';
import { createScimUser, hasRoleOf, person, waitForAccount, waitForSync } from './sync-helpers.js';

/**
 * What needs a person reaches the configured webhook from where the sync framework decides it:
 * removals held by the guard, users failed, drift found by the reconciler, a target whose access
 * check fails. Through the whole bridge, on both databases.
 */

const SECRET = 'notify-secret-0123456789';

interface Body {
  type: string;
  connection?: string;
  user?: { id: string; userName?: string };
  code?: string;
  counts?: Record<string, number>;
  events?: Body[];
  details?: Record<string, unknown>;
}

describe.each(['sqlite', 'postgres'] as const)('notifications from sync on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
    await receiver.close();
  });

  const start = (options: Partial<Parameters<typeof startTestBridge>[0]> & { events?: string[] }): Promise<TestBridge> =>
    startTestBridge({
      store: kind,
      ...options,
      notify: { webhooks: [{ name: 'ops', url: receiver.url, secret: SECRET, ...(options.events ? { events: options.events } : {}), maxPerMinute: 100 }] },
      start: { notify: { pollMs: 50, retryBaseMs: 50 }, ...options.start },
    });

  /** Every event the receiver accepted, summaries unfolded into the events they carry; each delivery's signature checked. */
  const events = (): Body[] =>
    receiver.received.filter((r) => r.status < 300).flatMap((r) => {
      expect(signatureProblem({ secret: SECRET, body: r.body, timestamp: r.headers['x-scim-bridge-timestamp'] as string, signature: r.headers['x-scim-bridge-signature'] as string })).toBeNull();
      const body = JSON.parse(r.body) as Body;
      return body.type === 'summary' ? (body.events ?? []) : [body];
    });
  const ofType = (type: string): Body[] => events().filter((e) => e.type === type);

  it('tells about each removal the guard holds, once', async () => {
    tb = await start({ types: ['yardstik'], events: ['held'] });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await createScimUser(tb, 'yardstik', okta.createUser(person(`notify${i}`))));
    for (const id of ids) await waitForSync(tb, 'yardstik', id, (s) => s.state === 'synced', 'created');
    for (const id of ids) await tb.scim('yardstik').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    await eventually(async () => ofType('held').length === 2, { what: 'two held events' });
    const held = await tb.store.listJobs('yardstik', { held: true });
    expect(ofType('held').map((e) => e.user?.id).sort()).toEqual(held.map((j) => j.userId).sort());
    expect(ofType('held')[0]).toMatchObject({ connection: 'yardstik', code: 'HELD' });
    expect(receiver.received.every((r) => r.headers['x-scim-bridge-event'] !== 'failed')).toBe(true);
  });

  it('tells about a user that failed for good, and about the target whose access check fails', async () => {
    tb = await start({ types: ['yardstik'], targets: { yardstik: { apiKey: 'a-wrong-api-key' } } });
    const id = await createScimUser(tb, 'yardstik', okta.createUser(person('refused')));
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'failed', 'failed with the wrong key');
    await eventually(async () => ofType('failed').length === 1 && ofType('target-unreachable').length === 1, { what: 'failed and target-unreachable events' });
    expect(ofType('failed')[0]).toMatchObject({ connection: 'yardstik', user: { id, userName: 'refused@example.com' }, code: 'TARGET_AUTH' });
    expect(ofType('target-unreachable')[0]).toMatchObject({ connection: 'yardstik' });
    // The same failure again (another attempt) is not news.
    await tb.store.enqueueJobs('yardstik', 'reconcile', [id]);
    tb.bridge.engine.wake('yardstik');
    await eventually(async () => (await tb!.store.listAudit({ connection: 'yardstik', userId: id })).length >= 2, { what: 'a second attempt' });
    await eventually(async () => (await tb!.store.notificationStats()).length === 0, { what: 'an empty outbox' });
    expect(ofType('failed')).toHaveLength(1);
  });

  it('tells about drift the reconciler finds', async () => {
    tb = await start({ types: ['redis-enterprise'], events: ['drift'] });
    await createScimUser(tb, 'redis-enterprise', okta.createUser(person('drifter')));
    const account = await waitForAccount(tb, 'redis-enterprise', 'drifter@example.com', (a) => hasRoleOf(a, 'db_viewer'), 'created');
    await tb.bridge.engine.connection('redis-enterprise')!.connector.updateAccount(account!, { role: 'admin' });
    await tb.bridge.reconciler.runNow(['redis-enterprise']);
    await eventually(async () => ofType('drift').length === 1, { what: 'a drift event' });
    expect(ofType('drift')[0]).toMatchObject({ connection: 'redis-enterprise', details: { count: 1, byKind: { 'role-changed': 1 }, repair: true } });
  });

  it('shows undelivered notifications in /metrics until the receiver takes them', async () => {
    receiver.fallback = 500;
    tb = await start({ types: ['yardstik'], targets: { yardstik: { apiKey: 'a-wrong-api-key' } } });
    const id = await createScimUser(tb, 'yardstik', okta.createUser(person('waiting')));
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'failed', 'failed');
    const pending = async (): Promise<number> => valueOf(parseMetrics((await tb!.bridge.metrics.render()).text), 'scim_bridge_notify_pending', { webhook: 'ops' }) ?? -1;
    await eventually(async () => receiver.received.length > 0 && (await pending()) >= 1, { what: 'a failed delivery and a pending notification' });
    receiver.fallback = 200;
    await eventually(async () => (await pending()) === 0, { timeoutMs: 15_000, what: 'nothing pending once delivered' });
    expect(ofType('failed')).toHaveLength(1);
  });
});
