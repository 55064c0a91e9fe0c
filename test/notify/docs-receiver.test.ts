import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookSchema } from '../../src/config/notify-schema.js';
import { createStore } from '../../src/directory/create-store.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { signBody } from '../../src/notify/signature.js';
import { createWebhookNotifier } from '../../src/notify/webhook-notifier.js';
import { eventually } from '../helpers/bridge.js';

/** The receiver example of docs/notifications.md, run as written against the bridge's deliveries. */

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SECRET = 'docs-example-secret-0123456789';

function receiverExample(): string {
  const text = readFileSync(path.join(root, 'docs/notifications.md'), 'utf8');
  const section = text.slice(text.indexOf('### A generic receiver (Node.js)'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('no js block under "A generic receiver (Node.js)"');
  return block;
}

describe('the generic receiver of docs/notifications.md', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill();
    child = undefined;
  });

  it('verifies a real delivery, prints it once, and refuses a forged one', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'scim-bridge-docs-')), 'receiver.mjs');
    writeFileSync(file, receiverExample());
    const out: string[] = [];
    child = spawn(process.execPath, [file], { env: { ...process.env, NOTIFY_SECRET: SECRET, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
    const port = await eventually(async () => /listening on (\d+)/.exec(out.join(''))?.[1], { what: 'the receiver listening' });
    const url = `http://127.0.0.1:${port}/`;

    const store = createStore('sqlite::memory:');
    await store.migrate();
    const hook = { ...webhookSchema.parse({ url, secret: SECRET }), name: 'docs' };
    const dispatcher = new NotificationDispatcher({ store, webhooks: [hook], logger: createSilentLogger() });
    const notifier = createWebhookNotifier({ store, webhooks: [hook], logger: createSilentLogger() });
    await notifier.emit({ kind: 'failed', connection: 'okta-redis', at: Date.now(), userId: 'u1', userName: 'ada@example.com', code: 'TARGET_AUTH', message: 'refused' });
    expect(await dispatcher.deliverDue()).toBe(1);
    await eventually(async () => out.join('').includes('failed: ada@example.com failed in connection okta-redis: refused (TARGET_AUTH)'), { what: 'the event printed' });
    await store.close();

    const body = '{"type":"failed","text":"forged"}';
    const now = Math.floor(Date.now() / 1000);
    const send = (timestamp: number, signature: string) =>
      fetch(url, { method: 'POST', body, headers: { 'x-scim-bridge-timestamp': String(timestamp), 'x-scim-bridge-signature': signature, 'x-scim-bridge-delivery': `d-${timestamp}-${signature.length}` } });
    expect((await send(now, signBody('another-secret-0123456789', now, body))).status).toBe(401);
    expect((await send(now - 600, signBody(SECRET, now - 600, body))).status).toBe(401);
    expect((await send(now, signBody(SECRET, now, body))).status).toBe(204);
    expect(out.join('')).toContain('failed: forged');
  });
});
