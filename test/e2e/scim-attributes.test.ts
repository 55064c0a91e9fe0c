import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTERPRISE, PATCH_OP, USER_SCHEMA } from '../fixtures/entra/requests.js';
import * as entra from '../fixtures/entra/requests.js';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { GROUP_SCHEMA, SYNC_SCHEMA, expectError, expectList, expectResource, type Resource } from './scim-assert.js';
import { hasRoleOf, targetAccount } from './sync-helpers.js';

/**
 * What a generic SCIM client does (RFC 7643, RFC 7644) beyond Okta's and Entra's requests:
 * remove and replace of single attributes and whole extensions, `.search`, read-only attributes,
 * projections, and PATCH operations applied in order. The worker is driven directly (drain), so
 * what the target ends up holding is asserted without waiting.
 */

const op = (operation: string, path: string | undefined, value?: unknown): Record<string, unknown> => ({
  schemas: [PATCH_OP],
  Operations: [{ op: operation, ...(path !== undefined ? { path } : {}), ...(value !== undefined ? { value } : {}) }],
});
const ops = (...operations: Record<string, unknown>[]): Record<string, unknown> => ({ schemas: [PATCH_OP], Operations: operations });
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

describe.each(['sqlite', 'postgres'] as const)('SCIM attributes and operations on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  let base: string;
  let n = 0;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false });
    scim = tb.scim('redis-enterprise');
    base = `${tb.bridge.url}/scim/v2/redis-enterprise`;
  });
  afterAll(() => tb.close());

  const person = (name: string): okta.OktaPerson => ({ userName: `${name}.${++n}@example.com`, givenName: 'Attr', familyName: name, oktaId: `00uattr${n}` });
  const newUser = async (body: Record<string, unknown>): Promise<Resource> => expectResource(await scim.post('/Users', body), 201, `${base}/Users`);
  const read = async (path: string): Promise<Resource> => (await scim.get(path).expect(200)).body as Resource;
  const patchUser = async (id: string, body: Record<string, unknown>): Promise<Resource> => expectResource(await scim.patch(`/Users/${id}`, body), 200, `${base}/Users`);
  const patchGroup = async (id: string, body: Record<string, unknown>): Promise<void> => {
    const res = await scim.patch(`/Groups/${id}`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(204);
  };
  const drain = (): Promise<number> => tb.bridge.engine.drain(['redis-enterprise']);
  const roleOf = async (email: string): Promise<string | null | undefined> => (await targetAccount(tb, 'redis-enterprise', email))?.role;
  const memberIds = async (groupId: string): Promise<string[]> => (((await read(`/Groups/${groupId}`)).members ?? []) as { value: string }[]).map((m) => m.value).sort();

  describe('active (defect 1: an unassigned active never grants access)', () => {
    it('remove of active on a deactivated user: 200 without active, and the Redis Enterprise account stays none', async () => {
      const p = person('inactive');
      const user = await newUser({ ...okta.createUser(p), active: false });
      await drain();
      expect(await roleOf(p.userName)).toBe('none');

      const removed = await patchUser(user.id, op('remove', 'active'));
      expect(removed).not.toHaveProperty('active');
      expect(await read(`/Users/${user.id}`)).not.toHaveProperty('active');
      await drain();
      expect(await roleOf(p.userName)).toBe('none');
      expect((await read(`/Users/${user.id}`))[SYNC_SCHEMA]).toMatchObject({ state: 'synced', effectiveRole: 'none' });

      // Other writes that leave active unassigned do not turn the user on either.
      await patchUser(user.id, op('replace', 'title', 'Auditor'));
      expect((await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: p.userName, title: 'Auditor' }).expect(200)).body).not.toHaveProperty('active');
      await drain();
      expect(await roleOf(p.userName)).toBe('none');

      // Only an explicit active: true turns the user on.
      expect(await patchUser(user.id, okta.setActive(true))).toMatchObject({ active: true });
      await drain();
      expect(await roleOf(p.userName)).toBe('db_viewer');
    });

    it('remove of active on an active user keeps the access; filters see active as unassigned', async () => {
      const p = person('active');
      const user = await newUser(okta.createUser(p));
      await drain();
      expect(hasRoleOf(await targetAccount(tb, 'redis-enterprise', p.userName), 'db_viewer')).toBe(true);
      await patchUser(user.id, op('remove', 'active'));
      await drain();
      expect(await roleOf(p.userName)).toBe('db_viewer');
      const unassigned = (filter: string) => scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${p.userName}" and ${filter}`)}`);
      expect(expectList(await unassigned('active eq true')).totalResults).toBe(0);
      expect(expectList(await unassigned('not (active pr)')).totalResults).toBe(1);
    });

    it('a POST without active creates an active user, as if it had sent active: true', async () => {
      const p = person('implicit');
      const { active: _active, ...body } = okta.createUser(p);
      expect(await newUser(body)).toMatchObject({ active: true });
      await drain();
      expect(await roleOf(p.userName)).toBe('db_viewer');
    });
  });

  describe('externalId of a group (defect 2: one source of truth)', () => {
    it('replace and remove of externalId change what GET shows and what the filter finds', async () => {
      const created = (await scim.post('/Groups', entra.createGroup(`ext-group-${++n}`, 'ext-old')).expect(201)).body as Resource;
      const byExternalId = async (value: string): Promise<string[]> =>
        expectList(await scim.get(`/Groups?filter=${encodeURIComponent(`externalId eq "${value}"`)}`)).Resources.map((r) => r.id);
      await patchGroup(created.id, op('replace', 'externalId', 'ext-new'));
      expect(await read(`/Groups/${created.id}`)).toMatchObject({ externalId: 'ext-new' });
      expect(await byExternalId('ext-new')).toEqual([created.id]);
      expect(await byExternalId('ext-old')).toEqual([]);
      await patchGroup(created.id, op('remove', 'externalId'));
      expect(await read(`/Groups/${created.id}`)).not.toHaveProperty('externalId');
      expect(await byExternalId('ext-new')).toEqual([]);
      await patchGroup(created.id, op('replace', undefined, { externalId: 'ext-pathless' }));
      expect(await read(`/Groups/${created.id}`)).toMatchObject({ externalId: 'ext-pathless' });
    });
  });

  describe('the enterprise extension as a whole (defect 3)', () => {
    const withExtension = (p: okta.OktaPerson): Record<string, unknown> => ({
      ...okta.createUser(p),
      schemas: [USER_SCHEMA, ENTERPRISE],
      [ENTERPRISE]: { department: 'R&D', employeeNumber: '7', manager: { value: 'boss-1' } },
    });

    it('remove of the extension URN removes it, and schemas no longer lists it', async () => {
      const user = await newUser(withExtension(person('ext-remove')));
      expect(user.schemas).toContain(ENTERPRISE);
      const removed = await patchUser(user.id, op('remove', ENTERPRISE));
      expect(removed).not.toHaveProperty(ENTERPRISE);
      expect(removed.schemas).not.toContain(ENTERPRISE);
      expect(await read(`/Users/${user.id}`)).not.toHaveProperty(ENTERPRISE);
    });

    it.each([
      ['add with a path', (value: unknown) => op('add', ENTERPRISE, value)],
      ['replace with a path', (value: unknown) => op('replace', ENTERPRISE, value)],
      ['a path-less replace', (value: unknown) => op('replace', undefined, { [ENTERPRISE]: value })],
    ])('%s of the whole extension carrying a stray schemas key is accepted, without the key', async (_label, build) => {
      const user = await newUser(withExtension(person('ext-stray')));
      const patched = await patchUser(user.id, build({ schemas: [ENTERPRISE], department: 'Sales' }));
      expect(patched[ENTERPRISE]).toMatchObject({ department: 'Sales' });
      expect(patched[ENTERPRISE]).not.toHaveProperty('schemas');
      expect((await read(`/Users/${user.id}`))[ENTERPRISE]).toMatchObject({ department: 'Sales' });
    });

    it('a replace of the extension with something that is not an object is a SCIM error in our words', async () => {
      const user = await newUser(withExtension(person('ext-bad')));
      for (const value of ['Sales', 42, ['a']]) {
        const res = await scim.patch(`/Users/${user.id}`, op('replace', ENTERPRISE, value));
        expectError(res, 400, 'invalidValue');
        expect(String(res.body.detail)).not.toMatch(/undefined|null to object|not extensible|TypeError/);
      }
      expect((await read(`/Users/${user.id}`)).meta.version).toBe(user.meta.version);
    });
  });

  describe('manager.$ref (defect 4)', () => {
    it('a string $ref is kept on POST and PATCH; Entra\'s "$ref": null is dropped', async () => {
      const ref = `${base}/Users/boss-2`;
      const user = await newUser({ ...okta.createUser(person('mgr')), schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'boss-2', $ref: ref } } });
      expect(user[ENTERPRISE]).toEqual({ manager: { value: 'boss-2', $ref: ref } });
      const patched = await patchUser(user.id, entra.addManager(base, 'boss-3'));
      expect(patched[ENTERPRISE]).toEqual({ manager: { value: 'boss-3', $ref: `${base}/Users/boss-3` } });
      const nulled = await patchUser(user.id, op('Add', `${ENTERPRISE}:manager`, [{ $ref: null, value: 'boss-4' }]));
      expect(nulled[ENTERPRISE]).toEqual({ manager: { value: 'boss-4' } });
      // A new manager.value alone drops the previous manager's $ref with it.
      await patchUser(user.id, entra.addManager(base, 'boss-5'));
      expect((await patchUser(user.id, op('replace', `${ENTERPRISE}:manager.value`, 'boss-6')))[ENTERPRISE]).toEqual({ manager: { value: 'boss-6' } });
      expect((await read(`/Users/${user.id}?attributes=${encodeURIComponent(`${ENTERPRISE}:manager.$ref`)}`))[ENTERPRISE]).toEqual({ manager: {} });
    });
  });

  describe('POST .search (defect 5, RFC 7644 §3.4.3)', () => {
    let users: Resource[];
    let group: Resource;
    beforeAll(async () => {
      users = [];
      for (const name of ['search-a', 'search-b', 'search-c']) users.push(await newUser(okta.createUser(person(name))));
      group = (await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: `search-group-${++n}`, members: [{ value: users[0]!.id }] }).expect(201)).body as Resource;
    });
    const search = (path: string, body: Record<string, unknown>) => scim.post(path, { schemas: [SEARCH], ...body });

    it('/Users/.search answers what GET /Users answers for the same query', async () => {
      const filter = 'userName sw "search-" and userName ew "@example.com"';
      const get = expectList(await scim.get(`/Users?filter=${encodeURIComponent(filter)}&startIndex=2&count=1&sortBy=userName&sortOrder=descending&attributes=userName,emails`), 2);
      const posted = expectList(await search('/Users/.search', { filter, startIndex: 2, count: 1, sortBy: 'userName', sortOrder: 'descending', attributes: ['userName', 'emails'] }), 2);
      expect(posted).toEqual(get);
      expect(posted.totalResults).toBe(3);
      expect(Object.keys(posted.Resources[0]!).sort()).toEqual(['emails', 'id', 'meta', 'schemas', 'userName']);
      const excluded = expectList(await search('/Users/.search', { filter, excludedAttributes: ['emails', 'name'] }));
      expect(excluded.Resources.every((r) => !('emails' in r) && !('name' in r) && 'userName' in r)).toBe(true);
    });

    it('/Groups/.search and the root /.search (users first, then groups, paged as one list)', async () => {
      const groups = expectList(await search('/Groups/.search', { filter: `displayName eq "${String(group.displayName)}"` }));
      expect(groups.Resources.map((r) => r.id)).toEqual([group.id]);
      const filter = `userName sw "search-" or displayName eq "${String(group.displayName)}"`;
      const all = expectList(await search('/.search', { filter }));
      expect(all.totalResults).toBe(4);
      expect(all.Resources.map((r) => r.id)).toEqual([...users.map((u) => u.id), group.id]);
      expect(all.Resources[3]).toMatchObject({ schemas: [GROUP_SCHEMA], meta: { resourceType: 'Group' } });
      const page = expectList(await search('/.search', { filter, startIndex: 3, count: 2 }), 3);
      expect(page).toMatchObject({ totalResults: 4, itemsPerPage: 2 });
      expect(page.Resources.map((r) => r.id)).toEqual([users[2]!.id, group.id]);
      expect(expectList(await search('/.search', { filter, count: 0 })).totalResults).toBe(4);
      // A filter that cannot apply to users at all matches none of them; one that applies to neither type is refused.
      expect(expectList(await search('/.search', { filter: `members[value eq "${users[0]!.id}"]` })).Resources.map((r) => r.id)).toEqual([group.id]);
      expectError(await search('/.search', { filter: 'meta.version eq "1"' }), 400, 'invalidFilter');
    });

    it('a bad SearchRequest is a SCIM error: unknown key, wrong types, bad filter, sort across types', async () => {
      expectError(await search('/Users/.search', { filters: 'userName pr' }), 400, 'invalidSyntax');
      expectError(await search('/Users/.search', { count: 'ten' }), 400, 'invalidSyntax');
      expectError(await search('/Users/.search', { filter: 'userName eq' }), 400, 'invalidFilter');
      expectError(await scim.post('/Users/.search', ['filter']), 400, 'invalidSyntax');
      expectError(await search('/.search', { sortBy: 'userName' }), 400, 'invalidValue');
      expectError(await scim.get('/Users/.search'), 404);
    });

    it('ServiceProviderConfig documents the search endpoints', async () => {
      const config = (await scim.get('/ServiceProviderConfig').expect(200)).body as Record<string, unknown>;
      expect(config).toMatchObject({ filter: { supported: true }, sort: { supported: true } });
      expect(String(config.documentationUri)).toMatch(/docs\/scim\.md$/);
    });
  });

  describe('the rest of ServiceProviderConfig holds', () => {
    it('etag: If-None-Match with the current version answers 304 without a body (express checks freshness), another version the resource (RFC 7644 §3.14)', async () => {
      const user = await newUser(okta.createUser(person('etag')));
      const group = (await scim.post('/Groups', okta.createGroup(`etag-${++n}`)).expect(201)).body as Resource;
      for (const path of [`/Users/${user.id}`, `/Groups/${group.id}`]) {
        const version = String((await read(path)).meta.version);
        for (const header of [version, version.replace(/^W\//, ''), `W/"999", ${version}`, '*']) {
          const res = await scim.get(path).set('If-None-Match', header);
          expect(res.status, header).toBe(304);
          expect(res.text).toBe('');
          expect(res.headers.etag).toBe(version);
        }
        expect((await scim.get(path).set('If-None-Match', 'W/"999"')).status).toBe(200);
      }
      await patchUser(user.id, op('replace', 'title', 'Changed'));
      expect((await scim.get(`/Users/${user.id}`).set('If-None-Match', String(user.meta.version))).status).toBe(200);
    });

    it('changePassword is not supported: a password is never stored, and a password PATCH changes nothing', async () => {
      const user = await newUser(okta.createUser(person('password')));
      expect(JSON.stringify(user)).not.toContain('Okta-Password');
      const res = await patchUser(user.id, op('replace', 'password', 'New-Password-1!'));
      expect(res.meta.version).toBe(user.meta.version);
      expect(JSON.stringify(await read(`/Users/${user.id}`))).not.toContain('New-Password');
    });
  });

  describe('read-only attributes and projections (defect 6)', () => {
    it.each([
      `${SYNC_SCHEMA}:targetId`,
      `${SYNC_SCHEMA}:lastError.code`,
      SYNC_SCHEMA,
      'id',
      'meta',
      'meta.lastModified',
      'groups',
    ])('a User PATCH of read-only %s is 400 mutability and changes nothing', async (path) => {
      const user = await newUser(okta.createUser(person('readonly')));
      for (const operation of ['add', 'replace', 'remove']) {
        expectError(await scim.patch(`/Users/${user.id}`, op(operation, path, operation === 'remove' ? undefined : 'forged')), 400, 'mutability');
      }
      expect((await read(`/Users/${user.id}`)).meta.version).toBe(user.meta.version);
    });

    it('a Group PATCH of id or meta by path is 400 mutability; the id Okta echoes without a path is still ignored', async () => {
      const group = (await scim.post('/Groups', okta.createGroup(`readonly-${++n}`)).expect(201)).body as Resource;
      for (const path of ['id', 'meta', 'meta.version']) expectError(await scim.patch(`/Groups/${group.id}`, op('replace', path, 'forged')), 400, 'mutability');
      await patchGroup(group.id, okta.renameGroup(group.id, `readonly-${n}-b`));
      expect(await read(`/Groups/${group.id}`)).toMatchObject({ id: group.id, displayName: `readonly-${n}-b` });
    });

    it.each([
      ['attributes', 'emails[type eq "work"]'],
      ['excludedAttributes', 'emails[type eq "work"].value'],
      ['attributes', 'name.givenName.first'],
      ['attributes', 'userName,emails[primary eq true]'],
    ])('%s=%s is 400 invalidPath on lists and single reads (RFC 7644 §3.10 has no filters there)', async (param, value) => {
      const user = await newUser(okta.createUser(person('projection')));
      const query = `${param}=${encodeURIComponent(value)}`;
      expectError(await scim.get(`/Users?${query}`), 400, 'invalidPath');
      expectError(await scim.get(`/Users/${user.id}?${query}`), 400, 'invalidPath');
      expectError(await scim.get(`/Groups?${query}`), 400, 'invalidPath');
      expectError(await scim.post('/Users/.search', { schemas: [SEARCH], [param]: [value] }), 400, 'invalidPath');
    });
  });

  describe('multi-valued attributes (defect 7: unassigned is omitted)', () => {
    it('remove of members, a PUT without members and a group created empty show no members at all', async () => {
      const user = await newUser(okta.createUser(person('member')));
      const group = (await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: `omit-${++n}`, members: [{ value: user.id }] }).expect(201)).body as Resource;
      await patchGroup(group.id, op('remove', 'members'));
      expect(await read(`/Groups/${group.id}`)).not.toHaveProperty('members');
      expect(expectList(await scim.get(`/Groups?filter=${encodeURIComponent(`displayName eq "omit-${n}"`)}`)).Resources[0]).not.toHaveProperty('members');
      expect((await scim.put(`/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: `omit-${n}`, members: [] }).expect(200)).body).not.toHaveProperty('members');
      expect((await scim.post('/Groups', okta.createGroup(`omit-empty-${n}`)).expect(201)).body).not.toHaveProperty('members');
    });

    it('a user in no group has no groups attribute; an emptied multi-valued attribute is omitted', async () => {
      const user = await newUser(okta.createUser(person('nogroups')));
      expect(user).not.toHaveProperty('groups');
      const emptied = await patchUser(user.id, op('replace', 'emails', []));
      expect(emptied).not.toHaveProperty('emails');
      expect(await newUser({ ...okta.createUser(person('noroles')), roles: [] })).not.toHaveProperty('roles');
    });
  });

  describe('group PATCH operations apply in order (defect 8, RFC 7644 §3.5.2)', () => {
    let x: Resource;
    let y: Resource;
    beforeAll(async () => {
      x = await newUser(okta.createUser(person('order-x')));
      y = await newUser(okta.createUser(person('order-y')));
    });
    const newGroup = async (members: Resource[]): Promise<string> =>
      ((await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: `order-${++n}`, members: members.map((m) => ({ value: m.id })) }).expect(201)).body as Resource).id;
    const add = (user: Resource) => ({ op: 'add', path: 'members', value: [{ value: user.id }] });

    it.each([
      ['add X, then remove members[display eq X]: X is not a member', (): Record<string, unknown> => ops(add(x), { op: 'remove', path: `members[display eq "${String(x.userName)}"]` }), () => [y.id]],
      ['remove members[display eq X], then add X: X is a member', () => ops({ op: 'remove', path: `members[display eq "${String(x.userName)}"]` }, add(x)), () => [x.id, y.id]],
      ['add X, then remove members[value sw X]: X is not a member', () => ops(add(x), { op: 'remove', path: `members[value sw "${x.id.slice(0, 8)}"]` }), () => [y.id]],
      ['replace [X], then remove members[display eq X]: no X', () => ops({ op: 'replace', path: 'members', value: [{ value: x.id }] }, { op: 'remove', path: `members[display eq "${String(x.userName)}"]` }), () => []],
      ['remove members, add X, remove members[value eq X]: empty', () => ops({ op: 'remove', path: 'members' }, add(x), { op: 'remove', path: `members[value eq "${x.id}"]` }), () => []],
    ])('%s', async (_label, body, expected) => {
      const groupId = await newGroup([y]);
      await patchGroup(groupId, body());
      expect(await memberIds(groupId)).toEqual(expected().sort());
    });
  });
});
