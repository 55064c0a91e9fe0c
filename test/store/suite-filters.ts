import { beforeAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/filter/index.js';
import { ENTERPRISE_USER } from '../../src/directory/sql/attributes.js';
import { ctx, expectCode, newConnection, userInput, waitPast, type SuiteContext } from './fixtures.js';

type Who = 'alice' | 'bob' | 'carol' | 'dave';

/** Filters evaluated by the database: one table, filter string to the expected seeded users. */
export function filterTests(t: SuiteContext): void {
  describe('filters', () => {
    const conn = newConnection();
    const ids = {} as Record<Who, string>;
    const groupIds = {} as Record<'admins' | 'everyone' | 'empty', string>;
    let bobChangedAfter = '';

    beforeAll(async () => {
      const store = t.store();
      const create = async (who: Who, input: ReturnType<typeof userInput>): Promise<void> => {
        ids[who] = (await store.createUser(conn, input, ctx())).id;
      };
      await create('alice', userInput('Alice@Example.com', {
        externalId: 'ext-A',
        emails: [{ value: 'alice@example.com', type: 'work', primary: true }, { value: 'alice@home.net', type: 'home', primary: false }],
        attributes: {
          name: { givenName: 'Alice', familyName: 'Archer' },
          title: 'Engineer',
          roles: [{ value: 'admin', display: 'Admin' }],
          phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
          [ENTERPRISE_USER]: { department: 'Sales', manager: { value: 'bob-id' } },
        },
      }));
      await create('bob', userInput('bob@example.com', {
        externalId: 'ext-B',
        active: false,
        emails: [{ value: 'Bob@Example.com', type: 'work', primary: true }],
        attributes: { name: { givenName: 'Bob', familyName: 'Baker' }, title: 'Manager', roles: [{ value: 'member' }], [ENTERPRISE_USER]: { department: 'Engineering', employeeNumber: '42' } },
      }));
      await create('carol', userInput('carol@other.org', {
        emails: [{ value: 'carol@other.org', type: 'other', primary: false }],
        attributes: { displayName: 'Carol C', roles: [], addresses: [{ type: 'work', locality: 'Paris' }], emails: [{ value: 'carol@other.org', type: 'other', display: 'Carol mail' }] },
      }));
      await create('dave', userInput('DAVE', { externalId: 'ext-d', attributes: { title: '', nickName: 'dd', [ENTERPRISE_USER]: { department: 'sales' } } }));
      const admins = await store.createGroup(conn, { displayName: 'Admins', externalId: 'g-admins', attributes: {}, members: [ids.alice, ids.bob] }, ctx());
      const everyone = await store.createGroup(conn, { displayName: 'Everyone', externalId: null, attributes: {}, members: Object.values(ids) }, ctx());
      const empty = await store.createGroup(conn, { displayName: 'Empty', externalId: null, attributes: {}, members: [] }, ctx());
      Object.assign(groupIds, { admins: admins.id, everyone: everyone.id, empty: empty.id });
      // Bob changes strictly after everyone else's last change.
      const users = await store.listUsers(conn, { startIndex: 1, count: 10 });
      const latest = Math.max(...users.records.map((u) => u.lastModified));
      waitPast(latest);
      bobChangedAfter = new Date(latest).toISOString();
      const bob = await store.getUser(conn, ids.bob);
      await store.replaceUser(conn, ids.bob, { ...userInput(bob!.userName), externalId: 'ext-B', active: false, emails: [{ value: 'Bob@Example.com', type: 'work', primary: true }], attributes: bob!.attributes }, {}, ctx());
    });

    const userCases: [string, Who[]][] = [
      ['userName eq "alice@example.com"', ['alice']],
      ['USERNAME eq "ALICE@EXAMPLE.COM"', ['alice']],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"', ['bob']],
      ['userName ne "dave"', ['alice', 'bob', 'carol']],
      ['userName co "EXAMPLE"', ['alice', 'bob']],
      ['userName sw "CAROL"', ['carol']],
      ['userName ew ".org"', ['carol']],
      ['userName gt "c"', ['carol', 'dave']],
      ['userName ge "carol@other.org"', ['carol', 'dave']],
      ['userName lt "bob"', ['alice']],
      ['userName le "bob@example.com"', ['alice', 'bob']],
      ['userName eq "nobody"', []],
      ['id eq "placeholder"', []],
      ['title pr', ['alice', 'bob']],
      ['not (title pr)', ['carol', 'dave']],
      ['title eq null', ['carol', 'dave']],
      ['title ne "engineer"', ['bob', 'carol', 'dave']],
      ['title gt "f"', ['bob']],
      ['displayName eq "carol c"', ['carol']],
      ['nickName ew "D"', ['dave']],
      ['name.givenName eq "alice"', ['alice']],
      ['Name.FamilyName sw "b"', ['bob']],
      ['externalId eq "ext-A"', ['alice']],
      ['externalId eq "EXT-A"', []],
      ['externalId eq ext-d', ['dave']],
      ['externalId pr', ['alice', 'bob', 'dave']],
      ['externalId ne "ext-A"', ['bob', 'carol', 'dave']],
      ['active eq true', ['alice', 'carol', 'dave']],
      ['active eq "False"', ['bob']],
      ['active ne true', ['bob']],
      ['emails[type eq "work"].value eq "bob@example.com"', ['bob']],
      ['emails[type eq "work" and value co "ALICE"]', ['alice']],
      ['emails.value eq "alice@home.net"', ['alice']],
      ['emails eq "carol@other.org"', ['carol']],
      ['emails.type eq "home"', ['alice']],
      ['emails pr', ['alice', 'bob', 'carol']],
      ['emails.primary eq true', ['alice', 'bob']],
      ['emails.value ne "alice@home.net"', ['bob', 'carol', 'dave']],
      ['emails[display pr]', ['carol']],
      ['roles.value eq "admin"', ['alice']],
      ['roles eq "MEMBER"', ['bob']],
      ['roles pr', ['alice', 'bob']],
      ['roles[value eq "admin" or value eq "member"]', ['alice', 'bob']],
      ['phoneNumbers[type eq "work"].value co "555"', ['alice']],
      ['addresses[type eq "work"].locality eq "paris"', ['carol']],
      [`${ENTERPRISE_USER}:department eq "sales"`, ['alice', 'dave']],
      [`${ENTERPRISE_USER.toUpperCase()}:Department eq "SALES"`, ['alice', 'dave']],
      [`${ENTERPRISE_USER}:manager.value eq "bob-id"`, ['alice']],
      [`${ENTERPRISE_USER}:manager eq "BOB-ID"`, ['alice']],
      [`${ENTERPRISE_USER}:employeeNumber pr`, ['bob']],
      ['department eq "Engineering"', ['bob']],
      ['meta.created gt "2000-01-01T00:00:00Z"', ['alice', 'bob', 'carol', 'dave']],
      ['meta.created lt "2000-01-01"', []],
      ['userName eq "alice@example.com" or userName eq "dave"', ['alice', 'dave']],
      ['userName sw "a" and active eq true', ['alice']],
      ['not (userName eq "alice@example.com" or active eq false)', ['carol', 'dave']],
      ['active eq true and (title eq "engineer" or nickName pr)', ['alice', 'dave']],
      ['not (not (title pr) and active eq true)', ['alice', 'bob']],
    ];

    it.each(userCases)('users: %s', async (filter, expected) => {
      const page = await t.store().listUsers(conn, { filter: parseFilter(filter), startIndex: 1, count: 100 });
      const want = expected.map((w) => ids[w]).sort();
      expect(page.records.map((u) => u.id).sort()).toEqual(want);
      expect(page.totalResults).toBe(want.length);
    });

    it('compares meta.lastModified as an instant', async () => {
      const later = await t.store().listUsers(conn, { filter: parseFilter(`meta.lastModified gt "${bobChangedAfter}"`), startIndex: 1, count: 10 });
      expect(later.records.map((u) => u.id)).toEqual([ids.bob]);
      const offset = bobChangedAfter.replace('Z', '+00:00');
      const notLater = await t.store().listUsers(conn, { filter: parseFilter(`meta.lastModified le "${offset}"`), startIndex: 1, count: 10 });
      expect(notLater.totalResults).toBe(3);
    });

    it('matches users by group', async () => {
      const cases: [string, Who[]][] = [
        ['groups.display eq "admins"', ['alice', 'bob']],
        [`groups[value eq "${groupIds.everyone}"]`, ['alice', 'bob', 'carol', 'dave']],
        [`groups.value eq "${groupIds.empty}"`, []],
        [`groups eq "${groupIds.admins}" and active eq false`, ['bob']],
      ];
      for (const [filter, expected] of cases) {
        const page = await t.store().listUsers(conn, { filter: parseFilter(filter), startIndex: 1, count: 10 });
        expect(page.records.map((u) => u.id).sort(), filter).toEqual(expected.map((w) => ids[w]).sort());
      }
    });

    it('filters groups', async () => {
      const cases: [string, (keyof typeof groupIds)[]][] = [
        ['displayName eq "ADMINS"', ['admins']],
        ['displayName sw "e"', ['everyone', 'empty']],
        ['externalId eq "g-admins"', ['admins']],
        [`members[value eq "${ids.alice}"]`, ['admins', 'everyone']],
        [`members.value eq "${ids.carol}"`, ['everyone']],
        ['members.display eq "dave"', ['everyone']],
        ['members pr', ['admins', 'everyone']],
        ['not (members pr)', ['empty']],
        ['displayName eq "nothing"', []],
      ];
      for (const [filter, expected] of cases) {
        const page = await t.store().listGroups(conn, { filter: parseFilter(filter), startIndex: 1, count: 10 });
        expect(page.records.map((g) => g.id).sort(), filter).toEqual(expected.map((k) => groupIds[k]).sort());
        expect(page.totalResults).toBe(expected.length);
      }
    });

    it('filters on active as the SCIM view: an unassigned active matches neither true nor false, whatever the access column holds', async () => {
      const other = newConnection();
      const { active: _active, ...attributes } = userInput('unassigned@example.com').attributes;
      const unassigned = await t.store().createUser(other, { ...userInput('unassigned@example.com', { active: false }), attributes }, ctx());
      const assigned = await t.store().createUser(other, userInput('assigned@example.com', { active: false }), ctx());
      const idsOf = async (filter: string): Promise<string[]> =>
        (await t.store().listUsers(other, { filter: parseFilter(filter), startIndex: 1, count: 10 })).records.map((u) => u.id);
      expect(await idsOf('active eq false')).toEqual([assigned.id]);
      expect(await idsOf('active eq true')).toEqual([]);
      expect(await idsOf('not (active pr)')).toEqual([unassigned.id]);
      expect((await t.store().getUser(other, unassigned.id))?.active).toBe(false);
    });

    it.each([
      'active gt true',
      'name eq "x"',
      'meta.created eq "yesterday"',
      'meta.lastModified co "2020"',
      'meta.resourceType eq "User"',
      'userName[value eq "x"]',
      'emails[value[type eq "x"]]',
      'emails.display eq null and title gt null',
      'userName.sub eq "x"',
    ])('rejects %s with INVALID_FILTER', async (filter) => {
      await expectCode(t.store().listUsers(conn, { filter: parseFilter(filter), startIndex: 1, count: 10 }), 'INVALID_FILTER');
    });
  });
}
