import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import supertest from 'supertest';
import * as okta from '../fixtures/okta/requests.js';
import { TOKEN, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { expectError, expectList, type Resource } from './scim-assert.js';

/**
 * How a SCIM path is matched (src/http/scim-router.ts): as express routes always matched it,
 * case-insensitively, with one optional trailing slash, each segment percent-decoded, HEAD
 * answered as GET, and the credentials checked before anything is looked up.
 */

describe('SCIM path matching', () => {
  let tb: TestBridge;
  let user: Resource;
  const request = (method: 'get' | 'head' | 'post' | 'put' | 'delete' | 'options', path: string): supertest.Test =>
    supertest(tb.bridge.url)[method](path).set('Authorization', `Bearer ${TOKEN}`);
  beforeAll(async () => {
    tb = await startTestBridge({ store: 'sqlite', types: ['redis-enterprise'] });
    const created = await tb.scim('redis-enterprise').post('/Users', okta.createUser({ userName: 'route@example.com', givenName: 'R', familyName: 'Oute', oktaId: '00uroute' }));
    user = created.body as Resource;
  });
  afterAll(() => tb.close());

  it('matches resource names and the mount case-insensitively, with one optional trailing slash', async () => {
    for (const path of ['/scim/v2/redis-enterprise/users', '/SCIM/V2/redis-enterprise/USERS', '/scim/v2/redis-enterprise/Users/']) {
      expect(expectList(await request('get', path)).totalResults, path).toBe(1);
    }
    const item = await request('get', `/scim/v2/redis-enterprise/users/${user.id}/`);
    expect(item.status).toBe(200);
    expect((item.body as Resource).id).toBe(user.id);
    expect((await request('get', '/scim/v2/redis-enterprise/serviceproviderconfig')).status).toBe(200);
    expectError(await request('get', '/scim/v2/redis-enterprise/Users//'), 404);
    expectError(await request('get', `/scim/v2/redis-enterprise/Users/${user.id}/groups`), 404);
    expectError(await request('get', '/scim/v2/redis-enterprise//Users'), 404);
  });

  it('percent-decodes the connection and the id, and refuses a malformed escape as the client’s error', async () => {
    expect((await request('get', '/scim/v2/redis%2Denterprise/Users')).status).toBe(200);
    expect((await request('get', `/scim/v2/redis-enterprise/Users/${encodeURIComponent(user.id)}`)).status).toBe(200);
    expectError(await request('get', '/scim/v2/redis-enterprise/Users/%E0%A4%A'), 400);
    expectError(await request('get', '/scim/v2/redis%E0%A4%A/Users'), 400);
  });

  it('answers HEAD as GET without a body, and methods a path lacks with 404 (Roles: Allow GET)', async () => {
    const head = await request('head', '/scim/v2/redis-enterprise/Users');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(head.text ?? '').toBe('');
    expectError(await request('put', '/scim/v2/redis-enterprise/Users'), 404);
    expectError(await request('options', '/scim/v2/redis-enterprise/Users'), 404);
    expectError(await request('post', '/scim/v2/redis-enterprise/Schemas'), 404);
    const roleWrite = await request('delete', '/scim/v2/redis-enterprise/Roles/admin');
    expect(roleWrite.headers.allow).toBe('GET');
    expect(roleWrite.status).toBeGreaterThanOrEqual(400);
    expectError(await request('get', '/scim/v2/redis-enterprise/Bulk'), 501);
  });

  it('reads .search as a search only on POST (another method looks it up as an id)', async () => {
    const search = await request('post', '/scim/v2/redis-enterprise/Users/.SEARCH').set('Content-Type', 'application/scim+json').send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] });
    expect(expectList(search).totalResults).toBe(1);
    expectError(await request('get', '/scim/v2/redis-enterprise/Users/.search'), 404);
    expectError(await request('get', '/scim/v2/redis-enterprise/.search'), 404);
  });

  it('answers a request target in absolute form (RFC 9112 §3.2.2) as the same path', async () => {
    const url = new URL(tb.bridge.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: `${tb.bridge.url}/scim/v2/redis-enterprise/Users?count=1`, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it('checks the credentials before it looks anything up, and leaves paths outside a connection to the app', async () => {
    expectError(await supertest(tb.bridge.url).get('/scim/v2/redis-enterprise/NoSuchThing'), 401);
    expectError(await request('get', '/scim/v2/redis-enterprise/NoSuchThing'), 404);
    const unknown = await request('get', '/scim/v2/nobody/Users');
    expectError(unknown, 404);
    expect((unknown.body as { detail: string }).detail).toContain('no connection named "nobody"');
    const root = await request('get', '/scim/v2/');
    expectError(root, 404);
    expect((root.body as { detail: string }).detail).toBe('no such endpoint');
    // An empty connection segment names no connection: a path outside every connection, with or without credentials.
    for (const path of ['/scim/v2//Users', '/scim/v2//', '/scim/v2//Users/x']) {
      for (const res of [await request('get', path), await supertest(tb.bridge.url).get(path)]) {
        expectError(res, 404);
        expect((res.body as { detail: string }).detail, path).toBe('no such endpoint');
      }
    }
  });
});
