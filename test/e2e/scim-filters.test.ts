import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { ENTERPRISE, PATCH_OP, USER_SCHEMA } from '../fixtures/entra/requests.js';
import { expectError, expectList, listAllIds, type Resource } from './scim-assert.js';

/**
 * Reads through HTTP on a fixed directory (nothing else writes here, so results compare
 * exactly): every filter operator, and/or/not, parentheses, attribute-name case, value filters,
 * extension attributes, meta.lastModified; startIndex/count edges; sortBy; attributes and
 * excludedAttributes (RFC 7644 §3.4.2, §3.9).
 */

const people = [
  { userName: 'alice@x.io', externalId: 'A1', title: 'Engineer', active: true, name: { givenName: 'Alice', familyName: 'Smith' }, emails: [{ type: 'work', value: 'alice@x.io', primary: true }, { type: 'home', value: 'alice@home.io' }], roles: [{ value: 'admin' }], [ENTERPRISE]: { department: 'R&D', employeeNumber: '100' } },
  { userName: 'bob@x.io', externalId: 'B2', title: 'Manager', active: false, name: { givenName: 'Bob', familyName: 'Jones' }, emails: [{ type: 'work', value: 'bob@x.io' }], [ENTERPRISE]: { department: 'Sales' } },
  { userName: 'carol@y.io', active: true, name: { givenName: 'Carol', familyName: 'Adams' }, emails: [{ type: 'home', value: 'carol@home.io' }] },
  { userName: 'Dave@Y.io', externalId: 'D4', title: 'engineer', active: true, name: { givenName: 'Dave', familyName: 'Brown' }, nickName: 'dee' },
];

describe.each(['sqlite', 'postgres'] as const)('SCIM reads on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  const ids = new Map<string, string>();
  const nameOf = new Map<string, string>();
  let groupIds: string[] = [];

  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    scim = tb.scim('redis-enterprise');
    for (const p of people) {
      const user = (await scim.post('/Users', { schemas: [USER_SCHEMA, ENTERPRISE], ...p }).expect(201)).body as Resource;
      ids.set(p.userName, user.id);
      nameOf.set(user.id, p.userName);
    }
    const engineering = await scim.post('/Groups', { displayName: 'Engineering', externalId: 'G-ENG', members: [{ value: ids.get('alice@x.io') }, { value: ids.get('Dave@Y.io') }] }).expect(201);
    const sales = await scim.post('/Groups', { displayName: 'Sales', members: [{ value: ids.get('bob@x.io') }] }).expect(201);
    groupIds = [engineering.body.id as string, sales.body.id as string];
  });
  afterAll(() => tb.close());

  const userNames = async (filter: string): Promise<string[]> => {
    const list = expectList(await scim.get(`/Users?filter=${encodeURIComponent(filter)}`));
    expect(list.totalResults).toBe(list.Resources.length);
    return list.Resources.map((r) => String(r.userName)).sort();
  };

  it.each([
    ['userName eq "ALICE@x.io"', ['alice@x.io']],
    ['USERNAME EQ "alice@X.IO"', ['alice@x.io']],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@x.io"', ['bob@x.io']],
    ['userName ne "alice@x.io"', ['Dave@Y.io', 'bob@x.io', 'carol@y.io']],
    ['userName co "@Y."', ['Dave@Y.io', 'carol@y.io']],
    ['userName sw "B"', ['bob@x.io']],
    ['userName ew "x.io"', ['alice@x.io', 'bob@x.io']],
    ['userName gt "c"', ['Dave@Y.io', 'carol@y.io']],
    ['userName ge "carol@y.io"', ['Dave@Y.io', 'carol@y.io']],
    ['userName lt "b"', ['alice@x.io']],
    ['userName le "bob@x.io"', ['alice@x.io', 'bob@x.io']],
    ['title pr', ['Dave@Y.io', 'alice@x.io', 'bob@x.io']],
    ['not (title pr)', ['carol@y.io']],
    ['title eq null', ['carol@y.io']],
    ['title eq "ENGINEER"', ['Dave@Y.io', 'alice@x.io']],
    ['title ne "engineer"', ['bob@x.io', 'carol@y.io']],
    ['active eq false', ['bob@x.io']],
    ['active eq true and title pr', ['Dave@Y.io', 'alice@x.io']],
    ['userName sw "a" or userName sw "b" and active eq true', ['alice@x.io']],
    ['(userName sw "a" or userName sw "b") and not (active eq false)', ['alice@x.io']],
    ['((title eq "manager") or (nickName pr)) and not (userName ew ".io" and active eq false)', ['Dave@Y.io']],
    ['externalId eq "A1"', ['alice@x.io']],
    ['externalId eq "a1"', []],
    ['externalId eq B2', ['bob@x.io']],
    ['name.givenName sw "al"', ['alice@x.io']],
    ['NAME.FAMILYNAME eq "jones"', ['bob@x.io']],
    ['emails[type eq "work"].value eq "bob@x.io"', ['bob@x.io']],
    ['emails[type eq "work" and value ew "x.io"]', ['alice@x.io', 'bob@x.io']],
    ['emails[type eq "home"]', ['alice@x.io', 'carol@y.io']],
    ['emails.value eq "alice@home.io"', ['alice@x.io']],
    ['emails co "home"', ['alice@x.io', 'carol@y.io']],
    ['emails pr', ['alice@x.io', 'bob@x.io', 'carol@y.io']],
    ['roles eq "admin"', ['alice@x.io']],
    [`${ENTERPRISE}:department eq "r&d"`, ['alice@x.io']],
    ['department eq "Sales"', ['bob@x.io']],
    [`not (${ENTERPRISE}:department pr)`, ['Dave@Y.io', 'carol@y.io']],
    ['nickname eq "dee"', ['Dave@Y.io']],
    ['unknownAttribute eq "x"', []],
  ])('filter %s', async (filter, expected) => {
    expect(await userNames(filter)).toEqual(expected);
  });

  it.each(['userName eq', 'userName zz "x"', '(userName eq "x"', 'userName eq "x" and', 'emails[type eq "work"', 'active gt true', 'meta.created gt "last week"', 'name eq "x"'])(
    'an invalid filter %s is 400 invalidFilter',
    async (filter) => expectError(await scim.get(`/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter'),
  );

  it('meta.lastModified gt/ge/lt select by modification time', async () => {
    const before = expectList(await scim.get('/Users')).Resources;
    const cut = Math.max(...before.map((r) => Date.parse(String(r.meta.lastModified))));
    await eventually(async () => Date.now() > cut + 2, { what: 'the clock to pass the cut' });
    const carol = ids.get('carol@y.io') as string;
    await scim.patch(`/Users/${carol}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'nickName', value: 'cee' }] }).expect(200);
    const stamp = new Date(cut).toISOString();
    expect(await userNames(`meta.lastModified gt "${stamp}"`)).toEqual(['carol@y.io']);
    expect(await userNames(`meta.lastModified le "${stamp}"`)).toEqual(['Dave@Y.io', 'alice@x.io', 'bob@x.io']);
    expect(await userNames(`meta.lastModified lt "2000-01-01T00:00:00Z"`)).toEqual([]);
    expect((await userNames(`meta.created ge "2000-01-01"`)).length).toBe(4);
    await scim.patch(`/Users/${carol}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'nickName' }] }).expect(200);
  });

  it('filters Groups by displayName (any case), externalId and members', async () => {
    const names = async (filter: string): Promise<string[]> =>
      expectList(await scim.get(`/Groups?filter=${encodeURIComponent(filter)}`)).Resources.map((g) => String(g.displayName)).sort();
    expect(await names('displayName eq "engineering"')).toEqual(['Engineering']);
    expect(await names('DISPLAYNAME sw "s"')).toEqual(['Sales']);
    expect(await names('externalId eq "G-ENG"')).toEqual(['Engineering']);
    expect(await names(`members[value eq "${ids.get('bob@x.io')}"]`)).toEqual(['Sales']);
    expect(await names('displayName pr and not (externalId pr)')).toEqual(['Sales']);
  });

  it('startIndex and count: defaults, zero, negative, past the end, and bad values', async () => {
    expect(expectList(await scim.get('/Users'))).toMatchObject({ totalResults: 4, itemsPerPage: 4 });
    expect(expectList(await scim.get('/Users?count=0'))).toMatchObject({ totalResults: 4, itemsPerPage: 0, Resources: [] });
    expect(expectList(await scim.get('/Users?count=-5'))).toMatchObject({ totalResults: 4, itemsPerPage: 0 });
    expect(expectList(await scim.get('/Users?startIndex=0&count=2'))).toMatchObject({ totalResults: 4, itemsPerPage: 2 });
    expect(expectList(await scim.get('/Users?startIndex=-3&count=1'))).toMatchObject({ itemsPerPage: 1 });
    expect(expectList(await scim.get('/Users?startIndex=4&count=10'), 4)).toMatchObject({ totalResults: 4, itemsPerPage: 1 });
    expect(expectList(await scim.get('/Users?startIndex=99'), 99)).toMatchObject({ totalResults: 4, itemsPerPage: 0, Resources: [] });
    expect(expectList(await scim.get('/Users?count=100000'))).toMatchObject({ itemsPerPage: 4 });
    for (const bad of ['count=abc', 'count=1.5', 'startIndex=x', 'startIndex=2e400']) expectError(await scim.get(`/Users?${bad}`), 400, 'invalidValue');
    expectError(await scim.get('/Users?count=1&count=2'), 400);
    const paged = await listAllIds((p) => scim.get(p), '/Users?filter=title%20pr', 1);
    expect(paged.map((id) => nameOf.get(id)).sort()).toEqual(['Dave@Y.io', 'alice@x.io', 'bob@x.io']);
  });

  it('sortBy and sortOrder, on core, complex and extension attributes, with stable pages', async () => {
    const sorted = async (query: string): Promise<string[]> => expectList(await scim.get(`/Users?${query}`)).Resources.map((r) => String(r.userName));
    expect(await sorted('sortBy=userName')).toEqual(['alice@x.io', 'bob@x.io', 'carol@y.io', 'Dave@Y.io']);
    expect(await sorted('sortBy=USERNAME&sortOrder=descending')).toEqual(['Dave@Y.io', 'carol@y.io', 'bob@x.io', 'alice@x.io']);
    expect(await sorted('sortBy=name.familyName&sortOrder=ascending')).toEqual(['carol@y.io', 'Dave@Y.io', 'bob@x.io', 'alice@x.io']);
    expect((await sorted(`sortBy=${ENTERPRISE}:department`)).slice(0, 2)).toEqual(['alice@x.io', 'bob@x.io']);
    const pages = [1, 2, 3, 4].map((i) => scim.get(`/Users?sortBy=userName&sortOrder=descending&startIndex=${i}&count=1`));
    expect((await Promise.all(pages)).map((r) => String((r.body as { Resources: Resource[] }).Resources[0]?.userName))).toEqual(['Dave@Y.io', 'carol@y.io', 'bob@x.io', 'alice@x.io']);
    expectError(await scim.get('/Users?sortBy=userName&sortOrder=sideways'), 400, 'invalidValue');
    expectError(await scim.get('/Users?sortBy=emails'), 400, 'invalidValue');
    expectError(await scim.get('/Users?sortBy=%22%22'), 400, 'invalidValue');
  });

  it('attributes and excludedAttributes on lists and single reads; schemas, id and meta always stay', async () => {
    const alice = ids.get('alice@x.io') as string;
    const only = (await scim.get(`/Users/${alice}?attributes=USERNAME`)).body as Resource;
    expect(Object.keys(only).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
    const nested = (await scim.get(`/Users/${alice}?attributes=name.givenName,emails.value,${ENTERPRISE}:department`)).body as Resource;
    expect(nested).toMatchObject({ name: { givenName: 'Alice' }, emails: [{ value: 'alice@x.io' }, { value: 'alice@home.io' }], [ENTERPRISE]: { department: 'R&D' } });
    expect(nested.name).toEqual({ givenName: 'Alice' });
    expect(nested).not.toHaveProperty('title');
    const dropped = (await scim.get(`/Users/${alice}?excludedAttributes=emails,name.familyName,id,meta,schemas`)).body as Resource;
    expect(dropped).not.toHaveProperty('emails');
    expect(dropped.name).toEqual({ givenName: 'Alice' });
    expect(dropped).toMatchObject({ id: alice, userName: 'alice@x.io', meta: { resourceType: 'User' } });
    const list = expectList(await scim.get(`/Users?filter=${encodeURIComponent('userName sw "a"')}&attributes=userName,active`));
    expect(list.Resources).toEqual([{ schemas: expect.any(Array), id: alice, meta: expect.any(Object), userName: 'alice@x.io', active: true }]);
    const groups = expectList(await scim.get('/Groups?attributes=displayName&sortBy=displayName'));
    expect(groups.Resources.map((g) => Object.keys(g).sort())).toEqual([['displayName', 'id', 'meta', 'schemas'], ['displayName', 'id', 'meta', 'schemas']]);
    const members = (await scim.get(`/Groups/${groupIds[0]}?attributes=members.value`)).body as Resource;
    expect(members.members).toEqual(expect.arrayContaining([{ value: alice }]));
    expectError(await scim.get('/Users?attributes=a&attributes=b'), 400);
  });
});
