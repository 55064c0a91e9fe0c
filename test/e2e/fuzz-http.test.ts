import fc from 'fast-check';
import supertest, { type Response } from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as okta from '../fixtures/okta/requests.js';
import { TOKEN, startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { DirectoryWatch, RUNS, anyJson, anyString, expectSane, filterText, patchBody, seedDirectory, userBody } from './fuzz-kit.js';

/**
 * Property-based fuzzing of what surrounds the bodies: filters and list parameters, ids in paths,
 * headers, every endpoint with every method, and Authorization values. The same invariants as
 * fuzz.test.ts: no 5xx (501 only on /Bulk), RFC 7644 error bodies, nothing changed when refused.
 */

const noSurrogates = (text: string): string => text.replace(/[\ud800-\udfff]/g, '?');
/** A path segment: an encoded string, or raw bytes percent-encoded (invalid UTF-8 included). */
const idSegment = fc.oneof(
  anyString.map((s) => encodeURIComponent(noSurrogates(s)) || 'x'),
  fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom('..', '.', '%', '%2F', 'a%2Fb', '%00', '00000000-0000-4000-8000-000000000000', '*', '%20'),
);
/** Header values Node can send: printable ASCII, and some that mean something. */
const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '*', 'W/"1"', '"1"', 'W/"999999999999999999999"', 'W/""', 'W/"-1"', 'W/"1.5"', 'gzip', 'null'));

describe.each(['sqlite', 'postgres'] as const)('fuzzing SCIM requests on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  let watch: DirectoryWatch;
  let userId: string;
  let groupId: string;
  let http: supertest.Agent;

  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    ({ scim, userId, groupId } = await seedDirectory(tb));
    watch = new DirectoryWatch(tb);
    http = supertest.agent(tb.bridge.url);
  });
  beforeEach(() => watch.refresh());
  afterAll(() => tb.close());

  const run = <T>(arbitrary: fc.Arbitrary<T>, send: (value: T) => Promise<Response>, allow501 = false): Promise<void> =>
    fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        const res = await send(value);
        expectSane(res, value, allow501);
        await watch.after(res, value);
      }),
      { numRuns: RUNS },
    );
  const request = (method: string, path: string): supertest.Test =>
    http[method.toLowerCase() as 'get'](`/scim/v2/redis-enterprise${path}`).set('Authorization', `Bearer ${TOKEN}`);
  const resolve = (path: string): string => path.replace('{user}', userId).replace('{group}', groupId);

  it('GET /Users and /Groups with any filter', () =>
    run(fc.tuple(filterText, fc.constantFrom('/Users', '/Groups')), ([filter, endpoint]) => scim.get(`${endpoint}?filter=${encodeURIComponent(noSurrogates(filter))}`)));

  it('PATCH remove with any members[...] filter', () =>
    run(filterText, (filter) => scim.patch(`/Groups/${groupId}`, { schemas: [okta.PATCH_OP], Operations: [{ op: 'remove', path: `members[${filter}]` }] })));

  const listParameter = fc.constantFrom('filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'COUNT', 'SortBy');
  const parameterValue = fc.oneof(anyString, fc.integer().map(String), fc.constantFrom('-1', '0', '1.5', '1e3', '99999999999999999999', 'descending', 'name.givenName', 'members', 'meta.created', 'emails[type eq "work"]'));
  it('GET lists and single reads with any list parameters, repeated or not', () =>
    run(fc.tuple(fc.array(fc.tuple(listParameter, parameterValue), { maxLength: 4 }), fc.constantFrom('/Users', '/Groups', '/Users/{user}', '/Groups/{group}')), ([params, endpoint]) =>
      scim.get(`${resolve(endpoint)}?${params.map(([k, v]) => `${k}=${encodeURIComponent(noSurrogates(v))}`).join('&')}`),
    ));

  it('any id on every method of /Users/{id} and /Groups/{id} is refused without touching the directory', () =>
    run(fc.tuple(idSegment, fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE'), fc.constantFrom('Users', 'Groups')), ([id, method, kindOf]) => {
      const body = method === 'PATCH' ? okta.setActive(false) : kindOf === 'Users' ? okta.createUser({ userName: 'id.fuzz@example.com', givenName: 'I', familyName: 'D', oktaId: '00uid' }) : okta.createGroup('id fuzz');
      const req = request(method, `/${kindOf}/${id}`);
      return method === 'GET' || method === 'DELETE' ? req : req.set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
    }).then(async () => {
      await scim.get(`/Users/${userId}`).expect(200);
      await scim.get(`/Groups/${groupId}`).expect(200);
    }));

  it('any If-Match, Content-Type, Content-Encoding, Accept and X-Request-Id on writes', () =>
    run(
      fc.record({ ifMatch: fc.option(headerValue), type: fc.oneof(headerValue, fc.constantFrom('application/scim+json', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.x+json')), encoding: fc.option(fc.oneof(headerValue, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress'))), accept: fc.option(headerValue), requestId: fc.option(headerValue), patch: fc.boolean() }),
      async (h) => {
        const path = h.patch ? `/Users/${userId}` : `/Groups/${groupId}`;
        const body = h.patch ? okta.setActive(true) : { displayName: 'Seeded', members: [] };
        let req = request(h.patch ? 'PATCH' : 'PUT', path).set('Content-Type', h.type);
        for (const [name, value] of [['If-Match', h.ifMatch], ['Content-Encoding', h.encoding], ['Accept', h.accept], ['X-Request-Id', h.requestId]] as const) if (value !== null) req = req.set(name, value);
        const res = await req.send(JSON.stringify(body));
        expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
        return res;
      },
    ));

  const endpoints = ['/Users', '/Users/{user}', '/Groups', '/Groups/{group}', '/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/User', '/ResourceTypes/x', '/Schemas', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', '/Bulk', '/Me', '/', '/Users/.search', '/Users/{user}/x'];
  it('every endpoint with every method and any body (501 only on /Bulk)', () =>
    run(
      fc.tuple(fc.constantFrom(...endpoints), fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), fc.oneof(userBody, patchBody, anyJson)),
      ([endpoint, method, body]) => {
        // Deleting the seeded user or group is a legitimate success, not what this property is about.
        const safeMethod = method === 'DELETE' && endpoint.includes('{') ? 'GET' : method;
        const req = request(safeMethod, resolve(endpoint));
        return ['GET', 'DELETE', 'OPTIONS'].includes(safeMethod) ? req : req.set('Content-Type', 'application/scim+json').send(JSON.stringify(body) ?? 'null');
      },
      true,
    ));
});

describe.each(['sqlite', 'postgres'] as const)('fuzzing Authorization on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
  });
  afterAll(() => tb.close());

  it('any Authorization value is 401 (429 once the address is braked), never more', async () => {
    const http = supertest.agent(tb.bridge.url);
    const authorization = fc.oneof(headerValue, headerValue.map((v) => `Bearer ${v}`), headerValue.map((v) => `Basic ${Buffer.from(v).toString('base64')}`), fc.constant(`Bearer ${TOKEN} `.repeat(2)), fc.constant(`Bearer ${TOKEN.slice(0, -1)}`));
    await fc.assert(
      fc.asyncProperty(authorization, fc.constantFrom('/Users', '/Groups', '/Schemas', '/Bulk'), async (value, path) => {
        const res = await http.get(`/scim/v2/redis-enterprise${path}`).set('Authorization', value);
        expect([401, 429]).toContain(res.status);
        expectSane(res, value);
      }),
      { numRuns: RUNS },
    );
    expect((await tb.store.listUsers('redis-enterprise', { startIndex: 1, count: 0 })).totalResults).toBe(0);
  });
});

describe('fuzzing the OAuth token endpoint', () => {
  const client = { clientId: 'fuzz-client', clientSecret: 'fuzz-client-secret-0123456789' };
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: 'sqlite', types: ['redis-enterprise'], runWorkers: false, http: { tokenSigningKey: 'fuzz-signing-key-0123456789abcdefghij' }, scimAuth: { 'redis-enterprise': { oauth: client } } });
  });
  afterAll(() => tb.close());

  const oauthErrors = ['invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope'];
  const value = fc.oneof(anyString.map(noSurrogates), fc.constantFrom('client_credentials', 'password', client.clientId, client.clientSecret, 'scim', ''));
  const valid = `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.clientSecret}`;
  const body = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('grant_type=client_credentials', valid, `${valid}&scope=scim`, `${valid}&grant_type=client_credentials`, `${valid}&client_secret=x`) },
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'GRANT_TYPE', 'code', 'x'), value), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')) },
    { weight: 1, arbitrary: anyString.map(noSurrogates) },
  );
  const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const authorization = fc.option(fc.oneof(fc.constant(basic(client.clientId, client.clientSecret)), headerValue, fc.tuple(value, value).map(([id, secret]) => basic(id, secret)), headerValue.map((v) => `Bearer ${v}`)), { freq: 3 });
  const contentType = fc.oneof({ weight: 3, arbitrary: fc.constant('application/x-www-form-urlencoded') }, fc.constantFrom('application/x-www-form-urlencoded; charset=utf-8', 'application/x-www-form-urlencoded; charset=utf-16', 'application/json', 'text/plain', ''), headerValue);

  it('any method, body, Content-Type and Authorization: an RFC 6749 answer, never a 5xx, never cached', async () => {
    const http = supertest.agent(tb.bridge.url);
    let issued = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE'), body, contentType, authorization, fc.constantFrom('redis-enterprise', 'redis-enterprise', 'redis-enterprise', 'redis-enterprise', 'nope', 'redis-enterprise/x'), async (method, text, type, auth, connection) => {
        let req = http[method.toLowerCase() as 'post'](`/oauth/${connection}/token`);
        if (type !== '') req = req.set('Content-Type', type);
        if (auth !== null) req = req.set('Authorization', auth);
        const res = await (method === 'GET' || method === 'DELETE' ? req : req.send(text));
        const where = JSON.stringify({ method, text, type, auth, connection }).slice(0, 500);
        expect(res.status, `${res.status} ${res.text} for ${where}`).toBeLessThan(500);
        expect(res.headers['cache-control'], where).toBe('no-store');
        expect(res.headers['content-type'], where).toMatch(/^application\/json/);
        if (res.status === 200) {
          expect(res.body.token_type, where).toBe('Bearer');
          await http.get('/scim/v2/redis-enterprise/Users?count=0').set('Authorization', `Bearer ${String(res.body.access_token)}`).expect(200);
          issued++;
          return;
        }
        expect([400, 401, 404, 405, 413, 429], where).toContain(res.status);
        expect(oauthErrors, where).toContain(res.body.error);
        expect(typeof res.body.error_description, where).toBe('string');
        expect(res.body.access_token, where).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
    // The valid path was exercised too, not only refusals.
    if (RUNS >= 100) expect(issued).toBeGreaterThan(0);
  });
});
