import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { expectError } from './scim-assert.js';

/**
 * Who may call, how often, and how much: per-connection tokens (rotation, Basic), 401 with a SCIM
 * body and `WWW-Authenticate`, the per-client rate limit (429 with `Retry-After`), the brake on
 * failed logins, and the body limit (413).
 */

const RE_TOKEN = 'redis-enterprise-token-0001';
const RE_ROTATED = 'redis-enterprise-token-0002';
const YS_TOKEN = 'yardstik-token-000000001';
const BASIC = { username: 'okta', password: 'okta-basic-password-1' };
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe.each(['sqlite', 'postgres'] as const)('SCIM auth and limits on %s', (kind: StoreKind) => {
  describe('credentials', () => {
    let tb: TestBridge;
    let http: supertest.Agent;
    beforeAll(async () => {
      tb = await startTestBridge({
        store: kind,
        types: ['redis-enterprise', 'yardstik'],
        scimAuth: { 'redis-enterprise': { tokens: [RE_TOKEN, RE_ROTATED] }, yardstik: { tokens: [YS_TOKEN], basic: BASIC } },
      });
      http = supertest.agent(tb.bridge.url);
    });
    afterAll(() => tb.close());

    const users = (connection: string, authorization?: string): supertest.Test => {
      const req = http.get(`/scim/v2/${connection}/Users`);
      return authorization === undefined ? req : req.set('Authorization', authorization);
    };
    const expect401 = (res: supertest.Response): void => {
      expectError(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      for (const secret of [RE_TOKEN, RE_ROTATED, YS_TOKEN, BASIC.password]) expect(JSON.stringify(res.body)).not.toContain(secret);
    };

    it('accepts each configured token (rotation), any case of "Bearer", and Basic where configured', async () => {
      await users('redis-enterprise', `Bearer ${RE_TOKEN}`).expect(200);
      await users('redis-enterprise', `Bearer ${RE_ROTATED}`).expect(200);
      await users('redis-enterprise', `bearer   ${RE_TOKEN}  `).expect(200);
      await users('yardstik', `Bearer ${YS_TOKEN}`).expect(200);
      await users('yardstik', basic(BASIC.username, BASIC.password)).expect(200);
      const spc = await http.get('/scim/v2/yardstik/ServiceProviderConfig').set('Authorization', `Bearer ${YS_TOKEN}`).expect(200);
      expect(spc.body.authenticationSchemes.map((s: { type: string }) => s.type).sort()).toEqual(['httpbasic', 'oauthbearertoken']);
    });

    it('missing, malformed, wrong, look-alike and cross-connection credentials all get 401 with a SCIM body', async () => {
      const refused = [
        ['redis-enterprise', undefined],
        ['redis-enterprise', ''],
        ['redis-enterprise', 'Bearer'],
        ['redis-enterprise', `Token ${RE_TOKEN}`],
        ['redis-enterprise', RE_TOKEN],
        ['redis-enterprise', `Bearer ${RE_TOKEN.slice(0, -1)}X`],
        ['redis-enterprise', `Bearer ${RE_TOKEN}0`],
        ['redis-enterprise', `Bearer ${RE_TOKEN.toUpperCase()}`],
        ['redis-enterprise', `Bearer ${YS_TOKEN}`],
        ['yardstik', `Bearer ${RE_TOKEN}`],
        ['redis-enterprise', basic(BASIC.username, BASIC.password)],
        ['yardstik', basic(BASIC.username, 'wrong-password-123')],
        ['yardstik', basic('someone', BASIC.password)],
        ['yardstik', 'Basic !!!not-base64'],
      ] as const;
      for (const [connection, authorization] of refused) expect401(await users(connection, authorization));
      expect401(await http.post('/scim/v2/redis-enterprise/Users').set('Authorization', `Bearer ${YS_TOKEN}`).send(okta.createUser({ userName: 'x@y.z', givenName: 'x', familyName: 'y', oktaId: '1' })));
      expect401(await http.delete('/scim/v2/yardstik/Groups/x').set('Authorization', `Bearer ${RE_TOKEN}`));
      // A token of one connection never reaches the other's data, not even its discovery.
      expect401(await http.get('/scim/v2/yardstik/ServiceProviderConfig').set('Authorization', `Bearer ${RE_TOKEN}`));
    });
  });

  describe('failed logins are braked per address', () => {
    let tb: TestBridge;
    beforeAll(async () => {
      tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    });
    afterAll(() => tb.close());

    it('after a burst of failures the address gets 429 with Retry-After, without a hint whether a token is right', async () => {
      const http = supertest(tb.bridge.url);
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await http.get('/scim/v2/redis-enterprise/Users').set('Authorization', `Bearer guess-${i}-xxxxxxxxxxxx`)).status);
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
      const limited = await http.get('/scim/v2/redis-enterprise/Users').set('Authorization', 'Bearer another-guess-xxxxxxx');
      expectError(limited, 429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    });
  });

  describe('rate limit per client', () => {
    let tb: TestBridge;
    beforeAll(async () => {
      tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], http: { requestsPerMinute: 60 }, scimAuth: { 'redis-enterprise': { tokens: [RE_TOKEN, RE_ROTATED] } } });
    });
    afterAll(() => tb.close());

    it('answers 429 with Retry-After and a SCIM body past the burst, per client', async () => {
      const http = supertest(tb.bridge.url);
      const get = (token: string): supertest.Test => http.get('/scim/v2/redis-enterprise/Users?count=0').set('Authorization', `Bearer ${token}`);
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) statuses.push((await get(RE_TOKEN)).status);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
      expect(statuses.at(-1)).toBe(429);
      const limited = await get(RE_TOKEN);
      expectError(limited, 429);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      // Another client (the rotated token) has its own budget.
      await get(RE_ROTATED).expect(200);
    });
  });

  describe('body limit', () => {
    let tb: TestBridge;
    beforeAll(async () => {
      tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], http: { bodyLimit: '4kb' } });
    });
    afterAll(() => tb.close());

    it('a body over http.bodyLimit is 413 with a SCIM body and nothing is written; a body under it is fine', async () => {
      const scim = tb.scim('redis-enterprise');
      const big = { ...okta.createUser({ userName: 'big@example.com', givenName: 'B', familyName: 'ig', oktaId: '00ubig' }), title: 'x'.repeat(5000) };
      expectError(await scim.post('/Users', big), 413);
      expect((await scim.get(okta.probe('big@example.com')).expect(200)).body.totalResults).toBe(0);
      const small = await scim.post('/Users', { ...big, title: 'x'.repeat(100) }).expect(201);
      const group = await scim.post('/Groups', okta.createGroup('big group')).expect(201);
      const members = Array.from({ length: 100 }, () => ({ value: small.body.id as string, display: 'big@example.com' }));
      expectError(await scim.patch(`/Groups/${group.body.id}`, okta.changeMembers([], members)), 413);
      expectError(await scim.put(`/Users/${small.body.id}`, big), 413);
      expect((await scim.get(`/Users/${small.body.id}`).expect(200)).body.title).toHaveLength(100);
    });
  });
});
