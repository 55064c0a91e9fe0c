import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { EMPTY_LIST, GROUP_SCHEMA, USER_SCHEMA, expectError, expectList, expectResource, listAllIds, type Resource } from './scim-assert.js';

/**
 * Okta's SCIM requests (docs/okta.md, "What Okta sends"), replayed request by request, with the responses
 * Okta depends on asserted exactly. Target state is the sync e2e tests' business.
 */

describe.each(['sqlite', 'postgres'] as const)('Okta SCIM sequences on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  let base: string;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    scim = tb.scim('redis-enterprise');
    base = `${tb.bridge.url}/scim/v2/redis-enterprise`;
  });
  afterAll(() => tb.close());

  const person = (name: string): okta.OktaPerson => ({ userName: `${name}@okta.local`, givenName: 'Test', familyName: name, oktaId: `00u${name}Aj10h7` });
  const create = async (p: okta.OktaPerson): Promise<Resource> => expectResource(await scim.post('/Users', okta.createUser(p)), 201, `${base}/Users`);

  it('create on assignment: the probe finds nothing (200, empty ListResponse), POST answers 201 with the full user', async () => {
    const p = person('ada');
    const probe = await scim.get(okta.probe(p.userName));
    expect(probe.status).toBe(200);
    expect(probe.body).toEqual(EMPTY_LIST);

    const res = await scim.post('/Users', okta.createUser(p));
    const user = expectResource(res, 201, `${base}/Users`);
    expect(res.headers.location).toBe(`${base}/Users/${user.id}`);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(user).toMatchObject({
      userName: p.userName,
      externalId: p.oktaId,
      name: { givenName: 'Test', familyName: 'ada' },
      emails: [{ primary: true, value: p.userName, type: 'work' }],
      displayName: 'Test ada',
      locale: 'en-US',
      active: true,
      meta: { resourceType: 'User' },
    });
    expect(user.schemas).toContain(USER_SCHEMA);
    expect(user).not.toHaveProperty('password');
    // `groups: []` in the request is no group at all: an unassigned multi-valued attribute is omitted (RFC 7643 §2.5).
    expect(user).not.toHaveProperty('groups');

    // Okta links an existing user found by the probe, whatever the case of its userName (docs/okta.md).
    const again = expectList(await scim.get(okta.probe(p.userName.toUpperCase())));
    expect(again.totalResults).toBe(1);
    expect(again.Resources[0]?.id).toBe(user.id);
  });

  it('a duplicate userName in another case gets 409 uniqueness (randomUsernameCaps), and nothing is created', async () => {
    const p = person('Grace.Dup');
    await create(p);
    const dup = await scim.post('/Users', okta.createUser({ ...p, userName: p.userName.toUpperCase(), oktaId: '00uother' }));
    expectError(dup, 409, 'uniqueness');
    const found = expectList(await scim.get(okta.probe(p.userName.toLowerCase())));
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0]?.externalId).toBe(p.oktaId);
  });

  it('GET /Users/{id} checks a user; PUT replaces the profile and answers 200 with the updated object', async () => {
    const p = person('linus');
    const user = await create(p);
    const read = expectResource(await scim.get(`/Users/${user.id}`), 200, `${base}/Users`);
    expect(read).toMatchObject({ id: user.id, userName: p.userName, active: true });

    const put = await scim.put(`/Users/${user.id}`, okta.putUser(user.id, p, { givenName: 'Linus', familyName: 'Torvalds' }));
    const updated = expectResource(put, 200, `${base}/Users`);
    expect(updated).toMatchObject({ id: user.id, name: { givenName: 'Linus', familyName: 'Torvalds' }, displayName: 'Linus Torvalds', active: true });
    expect(updated.meta.version).not.toBe(user.meta.version);
    expect(updated.meta.created).toBe(user.meta.created);

    // PUT replaces: an attribute the new body omits is gone.
    const { locale: _locale, ...withoutLocale } = okta.putUser(user.id, p);
    const replaced = expectResource(await scim.put(`/Users/${user.id}`, withoutLocale), 200, `${base}/Users`);
    expect(replaced).not.toHaveProperty('locale');
  });

  it('deactivate and reactivate: lowercase replace, no path, object value → 200 with the user', async () => {
    const user = await create(person('deact'));
    const off = expectResource(await scim.patch(`/Users/${user.id}`, okta.setActive(false)), 200, `${base}/Users`);
    expect(off.active).toBe(false);
    expect((await scim.get(`/Users/${user.id}`)).body).toMatchObject({ active: false });
    const on = expectResource(await scim.patch(`/Users/${user.id}`, okta.setActive(true)), 200, `${base}/Users`);
    expect(on.active).toBe(true);
    expect(on).toMatchObject({ userName: user.userName, name: user.name, emails: user.emails });
  });

  it('an unknown id answers 404 with a SCIM error body on every method', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expectError(await scim.get(`/Users/${id}`), 404);
    expectError(await scim.put(`/Users/${id}`, okta.putUser(id, person('ghost'))), 404);
    expectError(await scim.patch(`/Users/${id}`, okta.setActive(false)), 404);
    expectError(await scim.get(`/Groups/${id}`), 404);
    expectError(await scim.patch(`/Groups/${id}`, okta.renameGroup(id, 'x')), 404);
    expectError(await scim.delete(`/Groups/${id}`), 404);
  });

  it('import: pages of 100 with integer figures, a stable order, every user exactly once', async () => {
    const batch = Array.from({ length: 130 }, (_, i) => person(`import${String(i).padStart(3, '0')}`));
    for (let i = 0; i < batch.length; i += 26) await Promise.all(batch.slice(i, i + 26).map(create));
    const first = expectList(await scim.get(okta.importPage(1)));
    expect(first.totalResults).toBeGreaterThanOrEqual(130);
    expect(first.itemsPerPage).toBe(100);
    const second = expectList(await scim.get(okta.importPage(101)), 101);
    expect(second.itemsPerPage).toBe(Math.min(100, first.totalResults - 100));
    const ids = await listAllIds((p) => scim.get(p), '/Users');
    expect(ids).toHaveLength(first.totalResults);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 100)).toEqual(first.Resources.map((r) => r.id));
    // The order does not change between two imports (nothing was written meanwhile).
    expect(await listAllIds((p) => scim.get(p), '/Users')).toEqual(ids);
    const past = expectList(await scim.get(okta.importPage(first.totalResults + 1)), first.totalResults + 1);
    expect(past).toMatchObject({ totalResults: first.totalResults, itemsPerPage: 0, Resources: [] });
  });

  describe('Group Push', () => {
    let groupId: string;
    let alice: Resource;
    let bob: Resource;
    let carol: Resource;
    const members = async (): Promise<string[]> => {
      const res = expectResource(await scim.get(`/Groups/${groupId}`), 200, `${base}/Groups`);
      return ((res.members ?? []) as { value: string }[]).map((m) => m.value).sort();
    };

    beforeAll(async () => {
      [alice, bob, carol] = (await Promise.all(['alice', 'bob', 'carol'].map((n) => create(person(`push.${n}`))))) as [Resource, Resource, Resource];
    });

    it('create: 201 with the group and its id', async () => {
      const res = await scim.post('/Groups', okta.createGroup('Test SCIMv2'));
      const group = expectResource(res, 201, `${base}/Groups`);
      expect(group).toMatchObject({ schemas: [GROUP_SCHEMA], displayName: 'Test SCIMv2', meta: { resourceType: 'Group' } });
      expect(group).not.toHaveProperty('members');
      expect(res.headers.location).toBe(`${base}/Groups/${group.id}`);
      groupId = group.id;
      expectError(await scim.post('/Groups', okta.createGroup('test scimv2')), 409, 'uniqueness');
    });

    it('import and check: GET /Groups pages like users, GET /Groups/{id} answers 200', async () => {
      const page = expectList(await scim.get('/Groups?startIndex=1&count=100'));
      expect(page.Resources.map((g) => g.id)).toContain(groupId);
      expect(page.Resources.every((g) => typeof g.meta.location === 'string' && typeof g.id === 'string')).toBe(true);
      expect(await members()).toEqual([]);
    });

    it('rename with the id echoed in the value: 204, and the new name reads back', async () => {
      const res = await scim.patch(`/Groups/${groupId}`, okta.renameGroup(groupId, 'Engineering'));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await scim.get(`/Groups/${groupId}`)).body).toMatchObject({ id: groupId, displayName: 'Engineering' });
    });

    it('membership: add by list, then remove by filter and add in one PATCH (after the rename PATCH Okta always sends)', async () => {
      expect((await scim.patch(`/Groups/${groupId}`, okta.changeMembers([], [{ value: alice.id, display: String(alice.userName) }, { value: bob.id, display: String(bob.userName) }]))).status).toBe(204);
      expect(await members()).toEqual([alice.id, bob.id].sort());
      expect((await scim.patch(`/Groups/${groupId}`, okta.renameGroup(groupId, 'Engineering'))).status).toBe(204);
      expect((await scim.patch(`/Groups/${groupId}`, okta.changeMembers([alice.id], [{ value: carol.id, display: String(carol.userName) }]))).status).toBe(204);
      expect(await members()).toEqual([bob.id, carol.id].sort());
      const user = (await scim.get(`/Users/${carol.id}`)).body as { groups: { value: string; display: string }[] };
      expect(user.groups).toEqual([expect.objectContaining({ value: groupId, display: 'Engineering' })]);
    });

    it('membership: a full replace sets exactly the given members', async () => {
      expect((await scim.patch(`/Groups/${groupId}`, okta.replaceMembers([{ value: alice.id }, { value: carol.id }, { value: alice.id }]))).status).toBe(204);
      expect(await members()).toEqual([alice.id, carol.id].sort());
      expect((await scim.patch(`/Groups/${groupId}`, okta.replaceMembers([]))).status).toBe(204);
      expect(await members()).toEqual([]);
    });

    it('delete: 204, then 404, and the group is gone from the import and from its users', async () => {
      await scim.patch(`/Groups/${groupId}`, okta.replaceMembers([{ value: bob.id }])).expect(204);
      const res = await scim.delete(`/Groups/${groupId}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await scim.get(`/Groups/${groupId}`), 404);
      expectError(await scim.delete(`/Groups/${groupId}`), 404);
      expect(expectList(await scim.get('/Groups?startIndex=1&count=100')).Resources.map((g) => g.id)).not.toContain(groupId);
      expect((await scim.get(`/Users/${bob.id}`)).body).not.toHaveProperty('groups');
    });
  });
});
