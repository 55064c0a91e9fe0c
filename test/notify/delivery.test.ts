import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhookSchema } from '../../src/config/notify-schema.js';
import { createStore } from '../../src/directory/create-store.js';
import type { Store } from '../../src/directory/store.js';
import { createLogger, createSilentLogger } from '../../src/logging/logger.js';
import { NotificationDispatcher, type NamedWebhook } from '../../src/notify/dispatcher.js';
import { signatureProblem } from '../../src/notify/signature.js';
import { createWebhookNotifier } from '../../src/notify/webhook-notifier.js';
import type { SyncEvent, SyncNotifier } from '../../src/sync/notifier.js';
import { dropSchema, eventually, TEST_DATABASE_URL, type StoreKind } from '../helpers/bridge.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * Webhook delivery end to end against a receiver on 127.0.0.1, on both databases: the event is
 * queued in the store, signed, retried after a 500, kept across a restart (store closed and
 * opened again), and a storm goes out as one summary.
 */

const SECRET = 'webhook-secret-0123456789';
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

/** Opens the same database again and again: a temp SQLite file, or one PostgreSQL schema. */
function storeFactory(kind: StoreKind): () => Promise<Store> {
  const location = kind === 'sqlite' ? `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'scim-bridge-notify-')), 'bridge.db')}` : TEST_DATABASE_URL;
  const schema = `notify_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  if (kind === 'postgres') schemas.push(schema);
  return async () => {
    const store = kind === 'sqlite' ? createStore(location) : createStore(location, { schema });
    await store.migrate();
    return store;
  };
}

function webhook(url: string, extra: Record<string, unknown> = {}): NamedWebhook {
  return { ...webhookSchema.parse({ url, secret: SECRET, ...extra }), name: (extra.name as string | undefined) ?? 'ops' };
}

const failed = (connection: string, i: number): SyncEvent => ({
  kind: 'failed', connection, at: Date.now(), userId: `u${i}`, userName: `user${i}@example.com`, code: 'TARGET_AUTH', message: 'the target refused the API key', requestIds: [`req-${i}`],
});

describe.each(['sqlite', 'postgres'] as const)('webhook delivery (%s)', (kind) => {
  let receiver: Receiver;
  let open: () => Promise<Store>;
  let store: Store;
  const dispatchers: NotificationDispatcher[] = [];

  beforeEach(async () => {
    receiver = await startReceiver();
    open = storeFactory(kind);
    store = await open();
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop();
    await store.close();
    await receiver.close();
  });

  const setUp = (hooks: NamedWebhook[], on: Store = store, options: { retryBaseMs?: number } = {}): { notifier: SyncNotifier; dispatcher: NotificationDispatcher } => {
    const dispatcher = new NotificationDispatcher({ store: on, webhooks: hooks, logger: createSilentLogger(), pollMs: 20, retryBaseMs: options.retryBaseMs ?? 20 });
    dispatchers.push(dispatcher);
    return { notifier: createWebhookNotifier({ store: on, webhooks: hooks, logger: createSilentLogger() }), dispatcher };
  };

  it('delivers a signed event that the receiver verifies; a changed body or an old timestamp fails', async () => {
    const { notifier, dispatcher } = setUp([webhook(receiver.url)]);
    await notifier.emit(failed('okta-redis', 1));
    expect(await dispatcher.deliverDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    const delivery = { secret: SECRET, body: got!.body, timestamp: got!.headers['x-scim-bridge-timestamp'] as string, signature: got!.headers['x-scim-bridge-signature'] as string };
    expect(signatureProblem(delivery)).toBeNull();
    expect(signatureProblem({ ...delivery, body: got!.body.replace('user1', 'user2') })).toBe('signature does not match');
    expect(signatureProblem({ ...delivery, secret: 'another-secret-0123456789' })).toBe('signature does not match');
    expect(signatureProblem({ ...delivery, now: Date.now() + 10 * 60_000 })).toMatch(/tolerance/);
    expect(got!.headers['x-scim-bridge-event']).toBe('failed');
    expect(got!.path).toBe('/hooks/scim?token=receiver-query-token-1234');
    const body = JSON.parse(got!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'failed', connection: 'okta-redis', user: { id: 'u1', userName: 'user1@example.com' }, code: 'TARGET_AUTH', requestIds: ['req-1'] });
    expect(body.id).toBe(got!.headers['x-scim-bridge-delivery']);
    expect(await store.notificationStats()).toEqual([]);
  });

  it('keeps an event the receiver answered 500 to, and delivers it on a later attempt with the same delivery id', async () => {
    receiver.script = [500, 503];
    const { notifier, dispatcher } = setUp([webhook(receiver.url)]);
    await notifier.emit(failed('okta-redis', 1));
    expect(await dispatcher.deliverDue()).toBe(0);
    expect(await store.notificationStats()).toMatchObject([{ webhook: 'ops', pending: 1, maxAttempts: 1 }]);
    dispatcher.start();
    await eventually(async () => receiver.received.some((r) => r.status === 200), { what: 'a delivery answered 200' });
    expect(receiver.received.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(new Set(receiver.received.map((r) => r.headers['x-scim-bridge-delivery'])).size).toBe(1);
    await eventually(async () => (await store.notificationStats()).length === 0, { what: 'an empty outbox' });
  });

  it('loses nothing across a restart: queued while the receiver fails, delivered by the next process', async () => {
    receiver.fallback = 500;
    const first = setUp([webhook(receiver.url)], store, { retryBaseMs: 200 });
    await first.notifier.emit(failed('okta-redis', 1));
    await first.notifier.emit({ kind: 'held', connection: 'okta-redis', at: Date.now(), userId: 'u2', code: 'HELD', message: 'mass-deprovisioning guard' });
    expect(await first.dispatcher.deliverDue()).toBe(0);
    const tried = receiver.received.map((r) => r.headers['x-scim-bridge-delivery']);
    expect(tried).toHaveLength(1);
    await first.dispatcher.stop();
    await store.close();
    // The next process: the store opened again, the receiver back.
    receiver.fallback = 200;
    store = await open();
    expect(await store.notificationStats()).toMatchObject([{ webhook: 'ops', pending: 2, maxAttempts: 1 }]);
    const second = setUp([webhook(receiver.url)], store);
    second.dispatcher.start();
    await eventually(async () => receiver.received.filter((r) => r.status === 200).length === 2, { what: 'both events delivered' });
    const ok = receiver.received.filter((r) => r.status === 200);
    expect(ok.map((r) => r.headers['x-scim-bridge-delivery'])).toContain(tried[0]);
    expect(ok.map((r) => JSON.parse(r.body) as { type: string; user?: { id: string } }).map((e) => [e.type, e.user?.id]).sort()).toEqual([['failed', 'u1'], ['held', 'u2']]);
    await eventually(async () => (await store.notificationStats()).length === 0, { what: 'an empty outbox' });
  });

  it('turns a storm into one summary with counts per connection and kind, within the webhook\'s rate', async () => {
    const { notifier, dispatcher } = setUp([webhook(receiver.url, { maxPerMinute: 2 })]);
    for (let i = 0; i < 37; i++) await notifier.emit(failed('okta-redis', i));
    await notifier.emit({ kind: 'held', connection: 'entra-paradime', at: Date.now(), userId: 'h1', code: 'HELD', message: 'guard' });
    expect(await dispatcher.deliverDue()).toBe(38);
    expect(receiver.received).toHaveLength(1);
    const summary = JSON.parse(receiver.received[0]!.body) as Record<string, unknown>;
    expect(receiver.received[0]!.headers['x-scim-bridge-event']).toBe('summary');
    expect(summary).toMatchObject({
      type: 'summary', total: 38, counts: { failed: 37, held: 1 },
      connections: { 'okta-redis': { failed: 37 }, 'entra-paradime': { held: 1 } },
    });
    expect(summary.text).toBe('37 users failed in connection okta-redis; 1 removal held by the mass-deprovisioning guard in connection entra-paradime in the last minute');
    expect((summary.events as unknown[]).length).toBe(20);
    // The second delivery of the minute, then the window is full: the rest waits, queued.
    await notifier.emit(failed('okta-redis', 100));
    expect(await dispatcher.deliverDue()).toBe(1);
    await notifier.emit(failed('okta-redis', 101));
    expect(await dispatcher.deliverDue()).toBe(0);
    expect(receiver.received).toHaveLength(2);
    expect(await store.notificationStats()).toMatchObject([{ webhook: 'ops', pending: 1, maxAttempts: 0 }]);
  });

  it('sends Slack\'s {text} body to a slack webhook, and each event only to webhooks that want its kind', async () => {
    const slack = webhook(`${receiver.url.split('?')[0]}/slack`, { name: 'slack', format: 'slack', events: ['held'] });
    const { notifier, dispatcher } = setUp([slack, webhook(receiver.url, { name: 'ops', events: ['failed'] })]);
    await notifier.emit({ kind: 'held', connection: 'okta-redis', at: Date.now(), userId: 'u1', userName: '<b>&co@example.com', code: 'HELD', message: 'run "scim-bridge approve"' });
    expect(await dispatcher.deliverDue()).toBe(1);
    const [got] = receiver.received;
    expect(got!.path).toBe('/hooks/scim/slack');
    expect(JSON.parse(got!.body)).toEqual({ text: 'scim-bridge: Removal of &lt;b&gt;&amp;co@example.com held in connection okta-redis: run "scim-bridge approve"' });
    expect(signatureProblem({ secret: SECRET, body: got!.body, timestamp: got!.headers['x-scim-bridge-timestamp'] as string, signature: got!.headers['x-scim-bridge-signature'] as string })).toBeNull();
  });

  it('drops what stays undelivered past maxAgeMs, saying so at error, and warns about rows of a webhook no longer configured', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logger = createLogger({ level: 'info', format: 'json', stream });
    receiver.fallback = 500;
    const hook = webhook(receiver.url);
    const notifier = createWebhookNotifier({ store, webhooks: [hook, { name: 'gone', events: ['failed'] }], logger });
    await notifier.emit(failed('okta-redis', 1));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const dispatcher = new NotificationDispatcher({ store, webhooks: [hook], logger, pollMs: 20, maxAgeMs: 10 });
    dispatchers.push(dispatcher);
    expect(await dispatcher.deliverDue()).toBe(0);
    expect((await store.notificationStats()).map((s) => s.webhook)).toEqual(['gone']);
    dispatcher.start();
    await eventually(async () => lines.some((l) => l.includes('no longer configured')), { what: 'the orphan warning' });
    const dropped = lines.map((l) => JSON.parse(l) as { level: string; message: string; count?: number }).find((l) => l.message.startsWith('notifications dropped'));
    expect(dropped).toMatchObject({ level: 'error', count: 1 });
    expect(lines.find((l) => l.includes('no longer configured'))).toContain('"webhook":"gone"');
  });

  it('never logs the secret or the URL\'s query, and blanks configured secrets in the events it queues', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    // No secrets handed to the logger: the dispatcher itself must keep them out.
    const logger = createLogger({ level: 'debug', format: 'json', stream });
    receiver.script = [500];
    const hook = webhook(receiver.url);
    const dispatcher = new NotificationDispatcher({ store, webhooks: [hook], logger, pollMs: 20, retryBaseMs: 20 });
    dispatchers.push(dispatcher);
    const notifier = createWebhookNotifier({ store, webhooks: [hook], logger, secrets: ['target-api-key-0123456789'] });
    await notifier.emit({ ...failed('okta-redis', 1), message: 'refused key target-api-key-0123456789' });
    dispatcher.start();
    await eventually(async () => receiver.received.some((r) => r.status === 200), { what: 'delivery' });
    expect(JSON.parse(receiver.received[1]!.body).message).toBe('refused key [redacted]');
    const text = lines.join('');
    expect(text).toContain('notification delivery failed; retrying');
    expect(text).toContain('http://127.0.0.1');
    expect(text).not.toContain('receiver-query-token-1234');
    expect(text).not.toContain(SECRET);
  });
});
