import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { requestFrom, type PlainResponse } from '../helpers/http-from.js';
import { ERROR_SCHEMA } from './scim-assert.js';

/**
 * Nobody can lock the IdP out: failed authentications slow down only the source that fails (per
 * connection and client address), valid credentials are checked first and always accepted, and
 * X-Forwarded-For counts only from a proxy the configuration trusts (`http.trustProxy`).
 * 127.0.0.2 and 127.0.0.3 are other clients to the bridge, as other machines would be.
 */

const FAILURES = 100;

function usersFrom(tb: TestBridge, authorization: string, options: { from?: string; forwardedFor?: string; connection?: string } = {}): Promise<PlainResponse> {
  return requestFrom(`${tb.bridge.url}/scim/v2/${options.connection ?? 'redis-enterprise'}/Users?count=0`, {
    ...(options.from ? { from: options.from } : {}),
    headers: { authorization, ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}) },
  });
}

const wrong = (i: number): string => (i % 3 === 0 ? `Basic ${Buffer.from(`okta:guess-${i}-xxxxxxxx`).toString('base64')}` : `Bearer guess-${i}-xxxxxxxxxxxx`);

async function fail(tb: TestBridge, count: number, options: { from?: string; forwardedFor?: (i: number) => string | undefined; connection?: string } = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const forwardedFor = options.forwardedFor?.(i);
    const { from, connection } = options;
    statuses.push((await usersFrom(tb, wrong(i), { ...(from ? { from } : {}), ...(connection ? { connection } : {}), ...(forwardedFor ? { forwardedFor } : {}) })).status);
  }
  return statuses;
}

/**
 * The source is braked: a failure gets 429. A braked source gets one failure back every 2 s, so
 * on a slow machine the first try may spend a refilled one (401); the next, sent at once, may not.
 */
async function expectBraked(send: () => Promise<PlainResponse>): Promise<void> {
  let response = await send();
  for (let tries = 1; tries < 4 && response.status === 401; tries++) response = await send();
  expect(response.status).toBe(429);
  expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(response.body?.schemas).toEqual([ERROR_SCHEMA]);
}

describe('failed authentications never lock out valid credentials (no proxy trusted)', () => {
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: 'sqlite', types: ['redis-enterprise', 'yardstik'] });
  });
  afterAll(() => tb.close());

  it(`the IdP's token still gets 200 after ${FAILURES} failures from its own address, with or without a forwarded address`, async () => {
    const statuses = await fail(tb, FAILURES, { forwardedFor: (i) => (i % 2 === 0 ? `10.0.0.${i}` : undefined) });
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(40);
    expect((await usersFrom(tb, `Bearer ${TOKEN}`)).status).toBe(200);
    expect((await usersFrom(tb, `Bearer ${TOKEN}`, { forwardedFor: '10.0.0.2' })).status).toBe(200);
    // The failing source itself stays slowed down.
    await expectBraked(() => usersFrom(tb, wrong(1)));
  });

  it(`... and after ${FAILURES} failures from other addresses`, async () => {
    await fail(tb, FAILURES, { from: '127.0.0.2' });
    await fail(tb, FAILURES, { from: '127.0.0.3', forwardedFor: () => '203.0.113.9' });
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) expect((await usersFrom(tb, `Bearer ${TOKEN}`, { from })).status).toBe(200);
  });

  it('a source braked on one connection is not braked on another', async () => {
    await expectBraked(() => usersFrom(tb, wrong(1), { from: '127.0.0.2' }));
    expect((await usersFrom(tb, wrong(1), { from: '127.0.0.2', connection: 'yardstik' })).status).toBe(401);
  });

  it('without a trusted proxy, a forged X-Forwarded-For neither escapes the brake nor brakes someone else', async () => {
    await fail(tb, 30, { from: '127.0.0.5', forwardedFor: (i) => `198.51.100.${i}` });
    await expectBraked(() => usersFrom(tb, wrong(2), { from: '127.0.0.5', forwardedFor: '198.51.100.200' }));
    expect((await usersFrom(tb, wrong(2), { from: '127.0.0.6', forwardedFor: '198.51.100.1' })).status).toBe(401);
  });
});

describe('behind a trusted proxy (http.trustProxy: 1)', () => {
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: 'sqlite', types: ['redis-enterprise'], http: { trustProxy: 1 } });
  });
  afterAll(() => tb.close());

  it('brakes the forwarded client that fails, and no one else behind the same proxy', async () => {
    await fail(tb, FAILURES, { forwardedFor: () => '203.0.113.5' });
    await expectBraked(() => usersFrom(tb, wrong(1), { forwardedFor: '203.0.113.5' }));
    expect((await usersFrom(tb, wrong(1), { forwardedFor: '203.0.113.6' })).status).toBe(401);
    expect((await usersFrom(tb, wrong(1))).status).toBe(401);
    // The last hop is the client the proxy saw: a client cannot pick its address by prepending one.
    await expectBraked(() => usersFrom(tb, wrong(1), { forwardedFor: '192.0.2.77, 203.0.113.5' }));
    expect((await usersFrom(tb, `Bearer ${TOKEN}`, { forwardedFor: '203.0.113.5' })).status).toBe(200);
    expect((await usersFrom(tb, `Bearer ${TOKEN}`)).status).toBe(200);
  });
});
