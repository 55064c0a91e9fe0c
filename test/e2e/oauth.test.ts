import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { requestFrom } from '../helpers/http-from.js';
import { ERROR_SCHEMA, expectError } from './scim-assert.js';

/**
 * OAuth 2.0 client credentials per connection (RFC 6749 §4.4): the token endpoint with both
 * client authentication methods (§2.3.1) and every error of §5.2, and the access tokens it
 * issues on the SCIM API: expiry (fake clock), tampering, another connection's token, rotation.
 */

const SIGNING_KEY = 'oauth-test-signing-key-0123456789abcdef';
const RE_TOKEN = 'redis-enterprise-static-token-01';
const ENTRA = { clientId: 'entra-re', clientSecret: 'entra-secret-+/:%-0123456789' };
const ROTATED = { clientId: 'entra-re', clientSecret: 'entra-secret-rotated-0123456789' };
const SHORT = { clientId: 'short-lived', clientSecret: 'short-lived-secret-0123456789', tokenTtlSeconds: 600 };
const YARDSTIK = { clientId: 'entra-ys', clientSecret: 'yardstik-client-secret-012345' };
/** A client id both connections have: only the token's audience tells its connection. */
const SAME_ID = { clientId: ENTRA.clientId, clientSecret: 'yardstik-side-secret-0123456789' };
const FORM = 'application/x-www-form-urlencoded';

const form = (fields: Record<string, string | string[]>): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const item of [value].flat()) params.append(key, item);
  return params.toString();
};
const basicOf = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const formEncoded = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');

describe('OAuth 2.0 client credentials', () => {
  let tb: TestBridge;
  let http: supertest.Agent;
  let now = Date.UTC(2026, 0, 1, 12);

  beforeAll(async () => {
    tb = await startTestBridge({
      store: 'sqlite',
      types: ['redis-enterprise', 'yardstik'],
      http: { tokenSigningKey: SIGNING_KEY },
      scimAuth: { 'redis-enterprise': { tokens: [RE_TOKEN], oauth: [ENTRA, ROTATED, SHORT] }, yardstik: { oauth: [YARDSTIK, SAME_ID] } },
      start: { clock: () => now },
      redactSecrets: false,
    });
    http = supertest.agent(tb.bridge.url);
  });
  afterAll(() => tb.close());

  const token = (connection: string, body: string, authorization?: string): supertest.Test => {
    const req = http.post(`/oauth/${connection}/token`).set('Content-Type', FORM);
    return (authorization ? req.set('Authorization', authorization) : req).send(body);
  };
  const grant = (client: { clientId: string; clientSecret: string }, connection = 'redis-enterprise'): supertest.Test =>
    token(connection, form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }));
  const users = (connection: string, accessToken: string): supertest.Test => http.get(`/scim/v2/${connection}/Users?count=0`).set('Authorization', `Bearer ${accessToken}`);
  const issued = async (client: { clientId: string; clientSecret: string }, connection = 'redis-enterprise'): Promise<string> => (await grant(client, connection).expect(200)).body.access_token as string;

  const expectOAuthError = (res: supertest.Response, status: number, error: string): void => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.body.error).toBe(error);
    expect(res.body.error_description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
    expect(res.body.access_token).toBeUndefined();
    for (const secret of [ENTRA.clientSecret, ROTATED.clientSecret, SIGNING_KEY]) expect(res.text).not.toContain(secret);
  };

  describe('the token endpoint (RFC 6749 §4.4.2, §5.1)', () => {
    it('issues a Bearer token for client_id and client_secret in the body, not to be cached', async () => {
      const res = await grant(ENTRA).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'Bearer', expires_in: 3600 });
      await users('redis-enterprise', res.body.access_token as string).expect(200);
    });

    it('issues one for HTTP Basic, with the id and secret form-encoded (§2.3.1) or as they are', async () => {
      const body = form({ grant_type: 'client_credentials' });
      const encoded = await token('redis-enterprise', body, basicOf(formEncoded(ENTRA.clientId), formEncoded(ENTRA.clientSecret))).expect(200);
      const raw = await token('redis-enterprise', body, basicOf(ENTRA.clientId, ENTRA.clientSecret)).expect(200);
      await users('redis-enterprise', encoded.body.access_token as string).expect(200);
      await users('redis-enterprise', raw.body.access_token as string).expect(200);
      // A client_id beside Basic must name the same client (§3.2.1).
      await token('redis-enterprise', form({ grant_type: 'client_credentials', client_id: ENTRA.clientId }), basicOf(ENTRA.clientId, ENTRA.clientSecret)).expect(200);
    });

    it('accepts both secrets of a client being rotated, and each client has its own lifetime', async () => {
      await users('redis-enterprise', await issued(ROTATED)).expect(200);
      expect((await grant(SHORT).expect(200)).body.expires_in).toBe(600);
    });

    it('grants a requested scope as asked, and says so (§3.3)', async () => {
      const res = await token('redis-enterprise', form({ grant_type: 'client_credentials', scope: 'scim.read scim.write', client_id: ENTRA.clientId, client_secret: ENTRA.clientSecret })).expect(200);
      expect(res.body.scope).toBe('scim.read scim.write');
    });
  });

  describe('every error of §5.2', () => {
    it.each([
      ['no grant_type', { client_id: ENTRA.clientId, client_secret: ENTRA.clientSecret }],
      ['a repeated parameter', { grant_type: ['client_credentials', 'client_credentials'], client_id: ENTRA.clientId, client_secret: ENTRA.clientSecret }],
    ])('invalid_request: %s', async (_what, fields) => {
      expectOAuthError(await token('redis-enterprise', form(fields)), 400, 'invalid_request');
    });

    it('invalid_request: two client authentication methods at once, or a body client_id that differs from Basic', async () => {
      expectOAuthError(await token('redis-enterprise', form({ grant_type: 'client_credentials', client_secret: ENTRA.clientSecret }), basicOf(ENTRA.clientId, ENTRA.clientSecret)), 400, 'invalid_request');
      expectOAuthError(await token('redis-enterprise', form({ grant_type: 'client_credentials', client_id: SHORT.clientId }), basicOf(ENTRA.clientId, ENTRA.clientSecret)), 400, 'invalid_request');
    });

    it('invalid_request: not a form, or not a POST (405 with Allow), or a body over 8 KB', async () => {
      expectOAuthError(await http.post('/oauth/redis-enterprise/token').set('Content-Type', 'application/json').send(JSON.stringify({ grant_type: 'client_credentials' })), 400, 'invalid_request');
      const get = await http.get('/oauth/redis-enterprise/token?grant_type=client_credentials');
      expectOAuthError(get, 405, 'invalid_request');
      expect(get.headers.allow).toBe('POST');
      expectOAuthError(await token('redis-enterprise', form({ grant_type: 'client_credentials', pad: 'x'.repeat(9_000) })), 413, 'invalid_request');
    });

    it('invalid_client (401, WWW-Authenticate: Basic): none, wrong, unknown, another connection, not Basic', async () => {
      const body = form({ grant_type: 'client_credentials' });
      const refusals = [
        await token('redis-enterprise', body),
        await grant({ clientId: ENTRA.clientId, clientSecret: `${ENTRA.clientSecret}x` }),
        await grant({ clientId: 'nobody', clientSecret: ENTRA.clientSecret }),
        await grant(YARDSTIK),
        await token('redis-enterprise', body, basicOf(ENTRA.clientId, 'wrong-secret-0123456789')),
        await token('redis-enterprise', body, `Bearer ${RE_TOKEN}`),
        await token('redis-enterprise', body, 'Basic bm9jb2xvbg=='),
      ];
      for (const res of refusals) {
        expectOAuthError(res, 401, 'invalid_client');
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
      }
    });

    it('unsupported_grant_type and invalid_scope, for an authenticated client', async () => {
      expectOAuthError(await token('redis-enterprise', form({ grant_type: 'password', username: 'a', password: 'b', client_id: ENTRA.clientId, client_secret: ENTRA.clientSecret })), 400, 'unsupported_grant_type');
      expectOAuthError(await token('redis-enterprise', form({ grant_type: 'authorization_code', code: 'x' }), basicOf(ENTRA.clientId, ENTRA.clientSecret)), 400, 'unsupported_grant_type');
      expectOAuthError(await token('redis-enterprise', form({ grant_type: 'client_credentials', scope: 'a "b"', client_id: ENTRA.clientId, client_secret: ENTRA.clientSecret })), 400, 'invalid_scope');
    });

    it('no token endpoint for a connection that has no OAuth clients, or does not exist', async () => {
      const other = await startTestBridge({ store: 'sqlite', types: ['paradime'], runWorkers: false });
      try {
        expectOAuthError(await supertest(other.bridge.url).post('/oauth/paradime/token').set('Content-Type', FORM).send(form({ grant_type: 'client_credentials' })), 404, 'invalid_request');
      } finally {
        await other.close();
      }
      expectOAuthError(await token('nope', form({ grant_type: 'client_credentials' })), 404, 'invalid_request');
    });

    it('failed client authentications are braked per address like failed SCIM logins; a valid client still gets its token', async () => {
      const url = `${tb.bridge.url}/oauth/redis-enterprise/token`;
      const wrong = form({ grant_type: 'client_credentials', client_id: ENTRA.clientId, client_secret: 'guess-0123456789abcdef' });
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await requestFrom(url, { method: 'POST', from: '127.0.0.7', headers: { 'content-type': FORM }, body: wrong })).status);
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(20)).toContain(429);
      // A braked source gets one failure back every 2 s: on a slow machine a try may spend it (401).
      let limited = await requestFrom(url, { method: 'POST', from: '127.0.0.7', headers: { 'content-type': FORM }, body: wrong });
      for (let tries = 1; tries < 4 && limited.status === 401; tries++) limited = await requestFrom(url, { method: 'POST', from: '127.0.0.7', headers: { 'content-type': FORM }, body: wrong });
      expect(limited.status).toBe(429);
      expect(limited.body?.error).toBe('invalid_client');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const valid = await requestFrom(url, { method: 'POST', from: '127.0.0.7', headers: { 'content-type': FORM }, body: form({ grant_type: 'client_credentials', client_id: ENTRA.clientId, client_secret: ENTRA.clientSecret }) });
      expect(valid.status).toBe(200);
    });
  });

  describe('access tokens on the SCIM API', () => {
    const expectInvalidToken = (res: supertest.Response): void => {
      expectError(res, 401);
      expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="scim-bridge", error="invalid_token"');
    };

    it('expire: accepted until expires_in has passed, then 401 (a fake clock)', async () => {
      const accessToken = await issued(SHORT);
      now += 590_000;
      await users('redis-enterprise', accessToken).expect(200);
      now += 20_000;
      const res = await users('redis-enterprise', accessToken);
      expectInvalidToken(res);
      expect(res.body.detail).toMatch(/expired/);
    });

    it('are refused when tampered with: payload, signature, header or algorithm', async () => {
      const accessToken = await issued(ENTRA);
      const [header, payload, signature] = accessToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const reencode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
      const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      const tampered = [
        `${header}.${reencode({ ...claims, exp: Number(claims.exp) + 86_400 })}.${signature}`,
        `${header}.${reencode({ ...claims, sub: YARDSTIK.clientId })}.${signature}`,
        `${header}.${payload}.${flipped}`,
        `${reencode({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
        `${reencode({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), alg: 'HS512' })}.${payload}.${signature}`,
        `${reencode({ alg: 'HS256', typ: 'at+jwt', kid: 'unknown-key-id00' })}.${payload}.${signature}`,
      ];
      for (const value of tampered) expectInvalidToken(await users('redis-enterprise', value));
      await users('redis-enterprise', accessToken).expect(200);
    });

    it('are bound to their connection: a token for one gets 401 on the other, both ways', async () => {
      const forEnterprise = await issued(ENTRA);
      const wrongConnection = await users('yardstik', forEnterprise);
      expectInvalidToken(wrongConnection);
      expect(wrongConnection.body.detail).toMatch(/another connection/);
      await users('yardstik', await issued(SAME_ID, 'yardstik')).expect(200);
      const yardstik = await issued(YARDSTIK, 'yardstik');
      await users('yardstik', yardstik).expect(200);
      expectInvalidToken(await users('redis-enterprise', yardstik));
    });

    it('leave static tokens working beside them, and ServiceProviderConfig lists both', async () => {
      await users('redis-enterprise', RE_TOKEN).expect(200);
      const spc = await http.get('/scim/v2/redis-enterprise/ServiceProviderConfig').set('Authorization', `Bearer ${RE_TOKEN}`).expect(200);
      const schemes = spc.body.authenticationSchemes as { type: string; name: string; description: string; primary: boolean }[];
      expect(schemes.map((s) => [s.type, s.name])).toEqual([['oauthbearertoken', 'OAuth Bearer Token'], ['oauthbearertoken', 'OAuth 2.0 client credentials']]);
      expect(schemes[1]?.description).toContain(`${tb.bridge.url}/oauth/redis-enterprise/token`);
      const oauthOnly = await http.get('/scim/v2/yardstik/ServiceProviderConfig').set('Authorization', `Bearer ${await issued(YARDSTIK, 'yardstik')}`).expect(200);
      expect(oauthOnly.body.authenticationSchemes).toEqual([expect.objectContaining({ type: 'oauthbearertoken', name: 'OAuth 2.0 client credentials', primary: true })]);
    });

    it('no client secret, signing key or access token reaches the logs (redaction off to prove it)', async () => {
      const accessToken = await issued(ENTRA);
      await users('redis-enterprise', accessToken).expect(200);
      const text = tb.logs.join('');
      expect(text).toContain('"message":"access token issued"');
      for (const secret of [ENTRA.clientSecret, ROTATED.clientSecret, SHORT.clientSecret, YARDSTIK.clientSecret, SAME_ID.clientSecret, SIGNING_KEY, accessToken]) expect(text).not.toContain(secret);
    });
  });
});
