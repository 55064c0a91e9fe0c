import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import * as entra from '../fixtures/entra/requests.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, logLines, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';

/**
 * The logs of a full run: one access line per request with requestId, connection, method, path,
 * status and ms; no token, password, Basic credential or target secret; no request body
 * (issue 2 §7, docs/architecture.md, promise 6). Run with the production redaction and without it, so the
 * code itself is shown to log nothing secret, not only the redactor to catch it.
 */

const TOKEN = 'logs-token-7f3a9c1e5b2d';
const LOOK_ALIKE = 'logs-token-7f3a9c1e5b2e';
const BASIC = { username: 'okta-logs', password: 'basic-pass-41c8e2a7' };
const TARGET_PASSWORD = 're-target-pass-93b1d6f4';
const BASIC_HEADER = Buffer.from(`${BASIC.username}:${BASIC.password}`).toString('base64');
const OKTA_PASSWORD = String(okta.createUser({ userName: 'x', givenName: 'x', familyName: 'x', oktaId: 'x' }).password);
const BODY_MARKERS = ['body-marker-title-5521', 'body-marker-family-8830', 'filter-marker-1177'];
const SECRETS = [TOKEN, LOOK_ALIKE, BASIC.password, BASIC_HEADER, TARGET_PASSWORD, OKTA_PASSWORD];

interface Line {
  message: string;
  level: string;
  [key: string]: unknown;
}

describe.each([
  ['sqlite', true],
  ['postgres', true],
  ['sqlite', false],
] as const)('logs on %s (value redaction %s)', (kind: StoreKind, redactSecrets: boolean) => {
  let tb: TestBridge;
  let lines: Line[];
  let requestCount = 0;

  beforeAll(async () => {
    tb = await startTestBridge({
      store: kind,
      types: ['redis-enterprise'],
      redactSecrets,
      scimAuth: { 'redis-enterprise': { tokens: [TOKEN], basic: BASIC } },
      simulator: { credentials: { password: TARGET_PASSWORD } },
    });
    await fullRun(tb);
    lines = logLines(tb.logs) as Line[];
  }, 60_000);
  afterAll(() => tb.close());

  async function fullRun(bridge: TestBridge): Promise<void> {
    const http = supertest(bridge.bridge.url);
    const scim = bridge.scim('redis-enterprise');
    const count = <T>(p: T): T => (requestCount++, p);
    const p = { userName: 'logged.user@example.com', givenName: 'Log', familyName: BODY_MARKERS[1] as string, oktaId: '00ulogs' };
    const user = (await count(scim.post('/Users', { ...okta.createUser(p), title: BODY_MARKERS[0] })).expect(201)).body as { id: string };
    await count(scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${BODY_MARKERS[2]}"`)}`)).expect(200);
    await count(scim.patch(`/Users/${user.id}`, entra.disable())).expect(200);
    await count(scim.put(`/Users/${user.id}`, okta.putUser(user.id, p))).expect(200);
    const group = (await count(scim.post('/Groups', okta.createGroup('Logged Group'))).expect(201)).body as { id: string };
    await count(scim.patch(`/Groups/${group.id}`, okta.changeMembers([], [{ value: user.id, display: p.userName }]))).expect(204);
    await count(http.get('/scim/v2/redis-enterprise/Users').set('Authorization', `Bearer ${LOOK_ALIKE}`)).expect(401);
    await count(http.get('/scim/v2/redis-enterprise/Users').set('Authorization', `Basic ${BASIC_HEADER}`)).expect(200);
    await count(http.get('/scim/v2/redis-enterprise/Users').set('Authorization', `Basic ${Buffer.from(`${BASIC.username}:${LOOK_ALIKE}`).toString('base64')}`)).expect(401);
    await count(http.post('/scim/v2/redis-enterprise/Users').set('Authorization', `Bearer ${TOKEN}`).set('Content-Type', 'application/scim+json').send(`{"password":"${OKTA_PASSWORD}",`)).expect(400);
    await count(scim.get('/Users/does-not-exist')).expect(404);
    // Let the worker converge (its target calls log at debug, with the target's credentials in use).
    await eventually(async () => {
      const res = await scim.get(`/Users/${user.id}`);
      return (res.body as Record<string, { state?: string }>)['urn:scim-bridge:schemas:extension:sync:1.0:User']?.state === 'synced';
    }, { what: 'the user to be synced' });
    requestCount++;
    await count(scim.delete(`/Groups/${group.id}`)).expect(204);
  }

  it('no line holds a token, a password, a Basic credential or a target secret', () => {
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    for (const secret of SECRETS) expect(text, `secret ${secret.slice(0, 8)}…`).not.toContain(secret);
    expect(text.toLowerCase()).not.toContain(`bearer ${TOKEN.slice(0, 8)}`);
  });

  it('no request body, and no query string with its filter values', () => {
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    for (const marker of BODY_MARKERS) expect(text).not.toContain(marker);
  });

  it('one access line per SCIM request with requestId, connection, method, path, status and ms', () => {
    const access = lines.filter((l) => l.message === 'request' && String(l.path).startsWith('/scim/'));
    expect(access.length).toBeGreaterThanOrEqual(requestCount);
    for (const line of access) {
      expect(line).toMatchObject({ requestId: expect.any(String), connection: 'redis-enterprise', method: expect.any(String), path: expect.stringMatching(/^\/scim\/v2\/redis-enterprise\//), status: expect.any(Number) });
      expect(typeof line.ms).toBe('number');
      expect(String(line.path)).not.toContain('?');
    }
    expect(new Set(access.map((l) => l.requestId)).size).toBe(access.length);
    expect(access.map((l) => l.status)).toEqual(expect.arrayContaining([200, 201, 204, 400, 401, 404]));
    const rejected = lines.filter((l) => l.message === 'request rejected');
    expect(rejected.every((l) => typeof l.requestId === 'string')).toBe(true);
  });
});
