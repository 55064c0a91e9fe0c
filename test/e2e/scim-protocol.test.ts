import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { ENTERPRISE, PATCH_OP, USER_SCHEMA } from '../fixtures/entra/requests.js';
import * as okta from '../fixtures/okta/requests.js';
import { TOKEN, startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { SYNC_SCHEMA, expectError, expectList, type Resource } from './scim-assert.js';

/**
 * The SCIM protocol around the data: ETags and If-Match (RFC 7644 §3.14), malformed and invalid
 * bodies (§3.12), unknown paths, Bulk, the read-only sync extension, and discovery that tells
 * the truth (§4).
 */

describe.each(['sqlite', 'postgres'] as const)('SCIM protocol on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  let base: string;
  let n = 0;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    scim = tb.scim('redis-enterprise');
    base = `${tb.bridge.url}/scim/v2/redis-enterprise`;
  });
  afterAll(() => tb.close());

  const newUser = async (): Promise<Resource> => {
    const p = { userName: `proto${++n}@example.com`, givenName: 'P', familyName: String(n), oktaId: `00uproto${n}` };
    return (await scim.post('/Users', okta.createUser(p)).expect(201)).body as Resource;
  };
  const raw = (method: 'post' | 'put' | 'patch', path: string, body: string, type = 'application/scim+json'): supertest.Test =>
    supertest(tb.bridge.url)[method](`/scim/v2/redis-enterprise${path}`).set('Authorization', `Bearer ${TOKEN}`).set('Content-Type', type).send(body);

  describe('ETag and If-Match', () => {
    it('every resource carries meta.version, equal to the ETag header on single reads and writes', async () => {
      const user = await newUser();
      const read = await scim.get(`/Users/${user.id}`).expect(200);
      expect(read.headers.etag).toBe(user.meta.version);
      const group = await scim.post('/Groups', { displayName: `etag-${n}` }).expect(201);
      expect(group.headers.etag).toBe(group.body.meta.version);
      const patched = await scim.patch(`/Groups/${group.body.id}`, okta.renameGroup(group.body.id, `etag-${n}-b`)).expect(204);
      expect(patched.headers.etag).toBe((await scim.get(`/Groups/${group.body.id}`)).body.meta.version);
      for (const list of ['/Users', '/Groups']) {
        for (const r of expectList(await scim.get(list)).Resources) expect(r.meta.version).toMatch(/^W\/"\d+"$/);
      }
    });

    it('PUT, PATCH and DELETE of a User honour If-Match: 412 on a stale or malformed version, nothing changed', async () => {
      const user = await newUser();
      const stale = user.meta.version as string;
      const p = { userName: String(user.userName), givenName: 'Q', familyName: 'R', oktaId: String(user.externalId) };
      const put = await scim.put(`/Users/${user.id}`, okta.putUser(user.id, p)).set('If-Match', stale).expect(200);
      for (const ifMatch of [stale, 'W/"999"', '"1"', 'garbage']) {
        expectError(await scim.put(`/Users/${user.id}`, okta.putUser(user.id, { ...p, givenName: 'X' })).set('If-Match', ifMatch), 412);
        expectError(await scim.patch(`/Users/${user.id}`, okta.setActive(false)).set('If-Match', ifMatch), 412);
        expectError(await scim.delete(`/Users/${user.id}`).set('If-Match', ifMatch), 412);
      }
      const current = (await scim.get(`/Users/${user.id}`).expect(200)).body as Resource;
      expect(current).toMatchObject({ active: true, name: { givenName: 'Q' }, meta: { version: put.body.meta.version } });
      await scim.patch(`/Users/${user.id}`, okta.setActive(false)).set('If-Match', current.meta.version as string).expect(200);
      await scim.put(`/Users/${user.id}`, okta.putUser(user.id, p)).set('If-Match', '*').expect(200);
      const latest = (await scim.get(`/Users/${user.id}`)).headers.etag as string;
      await scim.delete(`/Users/${user.id}`).set('If-Match', latest).expect(204);
    });

    it('PUT, PATCH and DELETE of a Group honour If-Match', async () => {
      const created = await scim.post('/Groups', { displayName: `ifmatch-${++n}` }).expect(201);
      const id = created.body.id as string;
      const v1 = created.headers.etag as string;
      await scim.patch(`/Groups/${id}`, okta.renameGroup(id, `ifmatch-${n}-b`)).set('If-Match', v1).expect(204);
      expectError(await scim.patch(`/Groups/${id}`, okta.renameGroup(id, 'never')).set('If-Match', v1), 412);
      expectError(await scim.put(`/Groups/${id}`, { displayName: 'never' }).set('If-Match', v1), 412);
      expectError(await scim.delete(`/Groups/${id}`).set('If-Match', v1), 412);
      const current = await scim.get(`/Groups/${id}`).expect(200);
      expect(current.body.displayName).toBe(`ifmatch-${n}-b`);
      await scim.put(`/Groups/${id}`, { displayName: `ifmatch-${n}-c` }).set('If-Match', current.headers.etag as string).expect(200);
      await scim.delete(`/Groups/${id}`).set('If-Match', (await scim.get(`/Groups/${id}`)).headers.etag as string).expect(204);
    });
  });

  describe('bad input', () => {
    it('malformed JSON, a non-object body and a wrong content type answer 400 invalidSyntax', async () => {
      const user = await newUser();
      for (const [method, path] of [['post', '/Users'], ['put', `/Users/${user.id}`], ['patch', `/Users/${user.id}`], ['post', '/Groups']] as const) {
        expectError(await raw(method, path, '{"userName": '), 400, 'invalidSyntax');
        expectError(await raw(method, path, '[1,2]'), 400, 'invalidSyntax');
        expectError(await raw(method, path, '"text"'), 400, 'invalidSyntax');
        expectError(await raw(method, path, 'userName=x', 'text/plain'), 400, 'invalidSyntax');
      }
      expectError(await raw('post', '/Users', '{"userName":"a@b.c"}', 'application/scim+json; charset=latin1'), 400);
      expect((await scim.get(`/Users/${user.id}`)).body.meta.version).toBe(user.meta.version);
    });

    it('text no database can store as sent (NUL, lone surrogates) and bodies nested too deep are refused, never a 5xx', async () => {
      for (const userName of ['nul\u0000@example.com', 'lone\ud800@example.com', 'low\udc00@example.com']) {
        expectError(await scim.post('/Users', okta.createUser({ userName, givenName: 'N', familyName: 'UL', oktaId: '00unul' })), 400, 'invalidValue');
      }
      expectError(await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'key@example.com', ['ti\u0000tle']: 'x' }), 400, 'invalidValue');
      expectError(await scim.post('/Groups', { displayName: 'nul \u0000 group' }), 400, 'invalidValue');
      expectError(await scim.get(`/Users?filter=${encodeURIComponent('userName eq "\\u0000"')}`), 400, 'invalidFilter');
      expectError(await scim.get(`/Users?filter=${encodeURIComponent('userName eq "\\ud800"')}`), 400, 'invalidFilter');
      expectError(await scim.get('/Users?filter=userName%20eq%20%22a%00%22'), 400, 'invalidValue');
      expectError(await scim.get('/Users/abc%00def'), 404);
      expectError(await scim.delete('/Groups/%00'), 404);
      const deep = `{"schemas":["${USER_SCHEMA}"],"userName":"deep@example.com","title":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
      expectError(await raw('post', '/Users', deep), 400, 'invalidSyntax');
      const user = await newUser();
      expectError(await raw('patch', `/Users/${user.id}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","path":"title","value":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}]}`), 400, 'invalidSyntax');
      const patch = { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members[value eq "\\u0000"]' }] };
      const group = await scim.post('/Groups', { displayName: `nul-${++n}` }).expect(201);
      expectError(await scim.patch(`/Groups/${group.body.id}`, patch), 400, 'invalidPath');
      expect(expectList(await scim.get(okta.probe('deep@example.com'))).totalResults).toBe(0);
    });

    it.each([
      ['no userName', { schemas: [USER_SCHEMA], name: { givenName: 'x' } }],
      ['an empty userName', { schemas: [USER_SCHEMA], userName: '  ' }],
      ['a numeric userName', { schemas: [USER_SCHEMA], userName: 42 }],
      ['active not a boolean', { schemas: [USER_SCHEMA], userName: 'bad.active@example.com', active: 'maybe' }],
      ['emails not a list', { schemas: [USER_SCHEMA], userName: 'bad.emails@example.com', emails: 'x@example.com' }],
      ['name not complex', { schemas: [USER_SCHEMA], userName: 'bad.name@example.com', name: 'Ada' }],
      ['an unknown attribute in the extension', { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'bad.ext@example.com', [ENTERPRISE]: { manager: 'x', department: { a: 1 } } }],
    ])('a User with %s is 400 with a scimType, and nothing is stored', async (_label, body) => {
      const res = await scim.post('/Users', body);
      expect(res.status).toBe(400);
      expectError(res, 400, (res.body as { scimType: string }).scimType);
      expect(['invalidValue', 'invalidSyntax']).toContain((res.body as { scimType: string }).scimType);
      const userName = (body as { userName?: unknown }).userName;
      if (typeof userName === 'string' && userName.trim() !== '') expect(expectList(await scim.get(okta.probe(userName))).totalResults).toBe(0);
    });

    it('Groups: no displayName, or a member that is not a user of the connection, is 400 invalidValue', async () => {
      expectError(await scim.post('/Groups', { members: [] }), 400, 'invalidValue');
      expectError(await scim.post('/Groups', { displayName: 'ghost members', members: [{ value: 'no-such-user' }] }), 400, 'invalidValue');
      expect(expectList(await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "ghost members"')}`)).totalResults).toBe(0);
      const group = await scim.post('/Groups', { displayName: `patch-bad-${++n}` }).expect(201);
      expectError(await scim.patch(`/Groups/${group.body.id}`, okta.changeMembers([], [{ value: 'no-such-user', display: 'x' }])), 400, 'invalidValue');
      expectError(await scim.patch(`/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'owner', value: 'x' }] }), 400, 'invalidPath');
    });

    it.each([
      ['no Operations', { schemas: [PATCH_OP] }, 'invalidSyntax'],
      ['an unknown op', { schemas: [PATCH_OP], Operations: [{ op: 'move', path: 'title', value: 'x' }] }, 'invalidSyntax'],
      ['a broken path', { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }] }, 'invalidPath'],
      ['a remove without path', { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] }, 'noTarget'],
      ['a replace of id', { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: 'mine' }] }, 'mutability'],
      ['a path-less replace with a non-object', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: 'x' }] }, 'invalidValue'],
      ['a wrong type', { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'perhaps' }] }, 'invalidValue'],
    ])('a User PATCH with %s is 400 %s and changes nothing', async (_label, body, scimType) => {
      const user = await newUser();
      expectError(await scim.patch(`/Users/${user.id}`, body), 400, scimType);
      expect((await scim.get(`/Users/${user.id}`)).body.meta.version).toBe(user.meta.version);
    });

    it('unknown paths and connections are 404 SCIM errors; /Bulk is 501', async () => {
      expectError(await scim.get('/Nothing'), 404);
      expectError(await scim.get('/Users/a/b'), 404);
      expectError(await scim.post('/Me', {}), 404);
      expectError(await supertest(tb.bridge.url).get('/scim/v2/no-such-connection/Users').set('Authorization', `Bearer ${TOKEN}`), 404);
      expectError(await supertest(tb.bridge.url).get('/nowhere'), 404);
      expectError(await scim.post('/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] }), 501);
      expectError(await scim.get('/Bulk'), 501);
    });
  });

  describe('the sync extension is read-only', () => {
    const forged = { state: 'synced', targetId: 'forged', effectiveRole: 'admin', accountStatus: 'active' };

    it('POST and PUT ignore it; PATCH cannot set it', async () => {
      const created = await scim.post('/Users', { schemas: [USER_SCHEMA, SYNC_SCHEMA], userName: `forger${++n}@example.com`, [SYNC_SCHEMA]: forged }).expect(201);
      const id = created.body.id as string;
      expect(created.body[SYNC_SCHEMA]).not.toMatchObject({ targetId: 'forged' });
      const put = await scim.put(`/Users/${id}`, { schemas: [USER_SCHEMA], userName: `forger${n}@example.com`, [SYNC_SCHEMA]: forged }).expect(200);
      expect(put.body[SYNC_SCHEMA]).not.toMatchObject({ targetId: 'forged' });
      const byPath = await scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${SYNC_SCHEMA}:targetId`, value: 'forged' }] });
      expect(byPath.status).toBeGreaterThanOrEqual(400);
      expectError(byPath, byPath.status);
      await scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { [SYNC_SCHEMA]: forged } }] });
      await scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { [`${SYNC_SCHEMA}:targetId`]: 'forged' } }] });
      const read = (await scim.get(`/Users/${id}`).expect(200)).body as Resource;
      expect(read[SYNC_SCHEMA]).not.toMatchObject({ targetId: 'forged' });
      expect(JSON.stringify(read)).not.toContain('forged');
    });
  });

  describe('discovery tells the truth', () => {
    it('ServiceProviderConfig: patch, filter, sort and etag supported; bulk and changePassword not', async () => {
      const res = await scim.get('/ServiceProviderConfig').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true },
        sort: { supported: true },
        etag: { supported: true },
        changePassword: { supported: false },
        meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
      });
      expect(res.body.filter.maxResults).toBeGreaterThanOrEqual(100);
      expect(res.body.authenticationSchemes).toEqual([expect.objectContaining({ type: 'oauthbearertoken' })]);
    });

    it('ResourceTypes, as a list and by id', async () => {
      const list = expectList(await scim.get('/ResourceTypes'));
      // Redis Enterprise has roles, so Role is listed with Okta's role URN (docs/scim.md, "Roles").
      expect(list.Resources.map((r) => r.id).sort()).toEqual(['Group', 'Role', 'User']);
      const user = (await scim.get('/ResourceTypes/User').expect(200)).body as Resource;
      expect(user).toMatchObject({ endpoint: '/Users', schema: USER_SCHEMA, meta: { location: `${base}/ResourceTypes/User` } });
      expect(user.schemaExtensions).toEqual(expect.arrayContaining([{ schema: ENTERPRISE, required: false }, { schema: SYNC_SCHEMA, required: false }]));
      expect((await scim.get('/ResourceTypes/Group').expect(200)).body).toMatchObject({ endpoint: '/Groups' });
      expect((await scim.get('/ResourceTypes/Role').expect(200)).body).toMatchObject({ endpoint: '/Roles', schema: 'urn:okta:scim:schemas:core:1.0:Role' });
      expectError(await scim.get('/ResourceTypes/Entitlement'), 404);
    });

    it('Schemas list the core, enterprise, sync and role schemas; the sync schema is read-only throughout', async () => {
      const list = expectList(await scim.get('/Schemas'));
      expect(list.Resources.map((r) => r.id).sort()).toEqual([USER_SCHEMA, 'urn:ietf:params:scim:schemas:core:2.0:Group', ENTERPRISE, SYNC_SCHEMA, 'urn:okta:scim:schemas:core:1.0:Role'].sort());
      const sync = (await scim.get(`/Schemas/${SYNC_SCHEMA}`).expect(200)).body as { attributes: { name: string; mutability: string; subAttributes?: { mutability: string }[] }[] };
      expect(sync.attributes.map((a) => a.name)).toEqual(expect.arrayContaining(['state', 'targetId', 'effectiveRole', 'lastError', 'lastSyncAt']));
      for (const attribute of sync.attributes) {
        expect(attribute.mutability).toBe('readOnly');
        for (const sub of attribute.subAttributes ?? []) expect(sub.mutability).toBe('readOnly');
      }
      expect((await scim.get(`/Schemas/${ENTERPRISE}`).expect(200)).body).toMatchObject({ id: ENTERPRISE, meta: { location: `${base}/Schemas/${ENTERPRISE}` } });
      expectError(await scim.get('/Schemas/urn:nothing'), 404);
    });
  });
});
