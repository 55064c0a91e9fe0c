import { describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/directory/sql/sql-store.js';
import type { SyncState } from '../../src/directory/store.js';
import { parseFilter } from '../../src/filter/index.js';
import { createUsers, ctx, expectCode, newConnection, userInput, type SuiteContext } from './fixtures.js';

/** Users: CRUD, case-insensitive uniqueness, versions, tombstones, paging. */
export function userTests(t: SuiteContext): void {
  describe('users', () => {
    it('creates, reads, replaces and versions a user', async () => {
      const conn = newConnection();
      const created = await t.store().createUser(conn, userInput('Alice@Example.com', { externalId: 'ext-1' }), ctx());
      expect(created).toMatchObject({ userName: 'Alice@Example.com', externalId: 'ext-1', active: true, version: 1 });
      expect(created.created).toBe(created.lastModified);
      const read = await t.store().getUser(conn, created.id);
      expect(read).toEqual({ ...created, deleted: false });

      const replaced = await t.store().replaceUser(conn, created.id, userInput('alice@example.com', { active: false }), {}, ctx());
      expect(replaced).toMatchObject({ id: created.id, userName: 'alice@example.com', active: false, externalId: null, version: 2 });
      expect(replaced.created).toBe(created.created);
      expect(replaced.lastModified).toBeGreaterThanOrEqual(created.lastModified);
      expect((await t.store().getUser(conn, created.id))?.attributes).toEqual(replaced.attributes);
    });

    it('keeps userName unique case-insensitively, per connection', async () => {
      const conn = newConnection();
      const bob = await t.store().createUser(conn, userInput('bob@example.com'), ctx());
      const err = await expectCode(t.store().createUser(conn, userInput('BOB@example.COM'), ctx()), 'UNIQUENESS');
      expect(err.message).toBe('userName "BOB@example.COM" is already taken');
      await t.store().createUser(newConnection(), userInput('bob@example.com'), ctx());
      const carol = await t.store().createUser(conn, userInput('carol@example.com'), ctx());
      await expectCode(t.store().replaceUser(conn, carol.id, userInput('Bob@Example.com'), {}, ctx()), 'UNIQUENESS');
      // Renaming a user to another spelling of its own name is fine.
      expect((await t.store().replaceUser(conn, bob.id, userInput('Bob@Example.com'), {}, ctx())).userName).toBe('Bob@Example.com');
    });

    it('rejects a stale If-Match version and unknown ids', async () => {
      const conn = newConnection();
      const user = await t.store().createUser(conn, userInput('v@example.com'), ctx());
      await t.store().replaceUser(conn, user.id, userInput('v@example.com'), { ifVersion: 1 }, ctx());
      await expectCode(t.store().replaceUser(conn, user.id, userInput('v@example.com'), { ifVersion: 1 }, ctx()), 'VERSION_MISMATCH');
      await expectCode(t.store().deleteUser(conn, user.id, { ifVersion: 7 }, ctx()), 'VERSION_MISMATCH');
      await expectCode(t.store().replaceUser(conn, 'missing', userInput('x@example.com'), {}, ctx()), 'NOT_FOUND');
      await expectCode(t.store().deleteUser(conn, 'missing', {}, ctx()), 'NOT_FOUND');
      expect(await t.store().getUser(conn, 'missing')).toBeNull();
      // Another connection does not see the user.
      expect(await t.store().getUser(newConnection(), user.id)).toBeNull();
    });

    it('tombstones deleted users, frees their userName and purges them', async () => {
      const conn = newConnection();
      const user = await t.store().createUser(conn, userInput('gone@example.com'), ctx());
      await t.store().deleteUser(conn, user.id, { ifVersion: 1 }, ctx());
      expect(await t.store().getUser(conn, user.id)).toBeNull();
      expect(await t.store().getUser(conn, user.id, { includeDeleted: true })).toMatchObject({ id: user.id, deleted: true, version: 2 });
      expect((await t.store().listUsers(conn, { startIndex: 1, count: 10 })).totalResults).toBe(0);
      await expectCode(t.store().replaceUser(conn, user.id, userInput('gone@example.com'), {}, ctx()), 'NOT_FOUND');
      await expectCode(t.store().deleteUser(conn, user.id, {}, ctx()), 'NOT_FOUND');

      const again = await t.store().createUser(conn, userInput('GONE@example.com'), ctx());
      expect(again.id).not.toBe(user.id);
      await t.store().purgeUser(conn, again.id); // live: no-op
      expect(await t.store().getUser(conn, again.id)).not.toBeNull();
      await t.store().purgeUser(conn, user.id);
      expect(await t.store().getUser(conn, user.id, { includeDeleted: true })).toBeNull();
      await t.store().purgeUser(conn, 'never-existed');
    });

    it('pages stably in (created, id) order and by a sort key', async () => {
      const conn = newConnection();
      const ids = await createUsers(t.store(), conn, 25);
      const seen: string[] = [];
      for (let start = 1; start <= 25; start += 10) {
        const page = await t.store().listUsers(conn, { startIndex: start, count: 10 });
        expect(page.totalResults).toBe(25);
        seen.push(...page.records.map((u) => u.id));
      }
      // Users created within one millisecond are ordered by id: the order is total, so pages never overlap.
      const all = (await t.store().listUsers(conn, { startIndex: 1, count: 100 })).records;
      expect(seen).toEqual(all.map((u) => u.id));
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(all.map((u) => u.created)).toEqual(all.map((u) => u.created).sort((x, y) => x - y));
      expect((await t.store().listUsers(conn, { startIndex: 0, count: 2 })).records.map((u) => u.id)).toEqual(seen.slice(0, 2));
      const totals = await t.store().listUsers(conn, { startIndex: 1, count: 0 });
      expect(totals).toEqual({ totalResults: 25, records: [] });
      expect((await t.store().listUsers(conn, { startIndex: 26, count: 10 })).records).toEqual([]);

      const sorted: string[] = [];
      for (let start = 1; start <= 25; start += 7) {
        const page = await t.store().listUsers(conn, { startIndex: start, count: 7, sort: { by: { attr: 'USERNAME' }, descending: true } });
        sorted.push(...page.records.map((u) => u.userName));
      }
      expect(sorted).toEqual(
        Array.from({ length: 25 }, (_, i) => `user${String(24 - i).padStart(5, '0')}@example.com`),
      );
    });

    it('sorts by a JSON attribute, nulls last, ties broken by (created, id), and refuses multi-valued sorts', async () => {
      const conn = newConnection();
      const a = await t.store().createUser(conn, userInput('a@x.org', { attributes: { title: 'Zeta' } }), ctx());
      const b = await t.store().createUser(conn, userInput('b@x.org', { attributes: { title: 'alpha' } }), ctx());
      const c = await t.store().createUser(conn, userInput('c@x.org'), ctx());
      const d = await t.store().createUser(conn, userInput('d@x.org', { attributes: { title: 'Alpha' } }), ctx());
      const page = await t.store().listUsers(conn, { startIndex: 1, count: 10, sort: { by: { attr: 'title' }, descending: false } });
      // Case-insensitive key, ties by (created, id), users without a title last.
      const tie = [b, d].sort((x, y) => x.created - y.created || (x.id < y.id ? -1 : 1)).map((u) => u.id);
      expect(page.records.map((u) => u.id)).toEqual([...tie, a.id, c.id]);
      await expectCode(t.store().listUsers(conn, { startIndex: 1, count: 10, sort: { by: { attr: 'emails' }, descending: false } }), 'INVALID_VALUE');
    });

    it('cuts every page, from either end of the list, as the slice of the whole list (sort keys with nulls, ties, descending, a filter)', async () => {
      const conn = newConnection();
      const titles = ['b', null, 'A', 'a', null, 'c', 'B'];
      for (let i = 0; i < 13; i++) {
        const title = titles[i % titles.length];
        await t.store().createUser(conn, userInput(`u${String((i * 5) % 13).padStart(2, '0')}@x.org`, { attributes: title === null ? {} : { title } }), ctx());
      }
      const sorts = [
        undefined,
        { by: { attr: 'title' }, descending: false },
        { by: { attr: 'title' }, descending: true },
        { by: { attr: 'userName' }, descending: true },
        { by: { attr: 'meta', sub: 'created' }, descending: true },
      ];
      for (const filter of [undefined, parseFilter('title pr')]) {
        for (const sort of sorts) {
          const query = { ...(filter ? { filter } : {}), ...(sort ? { sort } : {}) };
          // A page from the first row is cut forwards: the whole list is the oracle.
          const all = await t.store().listUsers(conn, { ...query, startIndex: 1, count: 100 });
          expect(all.records).toHaveLength(filter ? 9 : 13);
          for (const count of [1, 2, 5]) {
            for (let start = 1; start <= all.totalResults + 1; start++) {
              const page = await t.store().listUsers(conn, { ...query, startIndex: start, count });
              expect(page.totalResults).toBe(all.totalResults);
              expect(page.records.map((u) => u.id), `${JSON.stringify(sort)} from ${start} by ${count}`).toEqual(all.records.slice(start - 1, start - 1 + count).map((u) => u.id));
            }
          }
        }
      }
      for (const name of ['Ops', 'sales', 'Admins', 'eng', 'Dev']) await t.store().createGroup(conn, { displayName: name, externalId: null, attributes: { displayName: name }, members: [] }, ctx());
      const byName = { sort: { by: { attr: 'displayName' }, descending: true } };
      const everyGroup = (await t.store().listGroups(conn, { ...byName, startIndex: 1, count: 10 })).records.map((g) => g.displayName);
      expect(everyGroup).toEqual(['sales', 'Ops', 'eng', 'Dev', 'Admins']);
      for (let start = 1; start <= 5; start++) {
        expect((await t.store().listGroups(conn, { ...byName, startIndex: start, count: 2 })).records.map((g) => g.displayName)).toEqual(everyGroup.slice(start - 1, start + 1));
      }
    });

    it('reads users with their groups and sync states when asked (lists and single reads)', async () => {
      const conn = newConnection();
      const [a, b, c] = await createUsers(t.store(), conn, 3);
      const group = (displayName: string, members: string[]) => ({ displayName, externalId: null, attributes: { displayName }, members });
      // Created out of name order: a user's groups come by name.
      const sales = await t.store().createGroup(conn, group('sales', [a as string]), ctx());
      const admins = await t.store().createGroup(conn, group('Admins', [a as string, b as string]), ctx());
      const synced: SyncState = {
        connection: conn, userId: a as string, status: 'synced', targetId: 't-a', targetEmail: 'a@example.com', role: 'admin', isManaged: true,
        accountStatus: 'active', lastError: null, lastSyncAt: 1_700_000_000_000, updatedAt: 1_700_000_000_001,
      };
      await t.store().putSyncState(synced);
      const ref = (g: { id: string; displayName: string }, userId: string) => ({ userId, groupId: g.id, displayName: g.displayName, externalId: null });

      const page = await t.store().listUsers(conn, { startIndex: 1, count: 10, related: true });
      const byId = new Map(page.records.map((u) => [u.id, u.related]));
      expect(byId.get(a as string)).toEqual({ groups: [ref(admins, a as string), ref(sales, a as string)], syncState: synced });
      expect(byId.get(b as string)).toEqual({ groups: [ref(admins, b as string)], syncState: null });
      expect(byId.get(c as string)).toEqual({ groups: [], syncState: null });
      // Without asking, records carry no relations (the sync engine's pages stay as they were).
      expect((await t.store().listUsers(conn, { startIndex: 1, count: 10 })).records.every((u) => u.related === undefined)).toBe(true);

      const pinned = await t.store().listUsers(conn, { filter: parseFilter(`userName eq "${page.records[0]?.userName.toUpperCase() ?? ''}"`), startIndex: 1, count: 100, related: true });
      expect(pinned.records.map((u) => u.related)).toEqual([byId.get(page.records[0]?.id as string)]);
      expect((await t.store().getUser(conn, a as string, { related: true }))?.related).toEqual(byId.get(a as string));
      expect((await t.store().getUser(conn, c as string))?.related).toBeUndefined();
    });

    it('reads one user with its groups and sync state in one statement (a lookup by userName or by id)', async () => {
      const conn = newConnection();
      const [a] = await createUsers(t.store(), conn, 2);
      await t.store().createGroup(conn, { displayName: 'Ops', externalId: null, attributes: { displayName: 'Ops' }, members: [a as string] }, ctx());
      const store = t.store() as SqlStore;
      const statementsOf = async (read: () => Promise<unknown>): Promise<number> => {
        const before = store.work.statements;
        await read();
        return store.work.statements - before;
      };
      const user = await t.store().getUser(conn, a as string);
      const filter = parseFilter(`userName eq "${user?.userName ?? ''}"`);
      expect(await statementsOf(() => t.store().listUsers(conn, { filter, startIndex: 1, count: 100, related: true }))).toBe(1);
      expect(await statementsOf(() => t.store().getUser(conn, a as string, { related: true }))).toBe(1);
      expect((await t.store().getUser(conn, a as string, { related: true }))?.related?.groups.map((g) => g.displayName)).toEqual(['Ops']);
    });

    it('answers a filter that pins one user like any other list: totals, paging, tombstones, another connection', async () => {
      const conn = newConnection();
      const [a, b] = await createUsers(t.store(), conn, 3);
      const first = await t.store().getUser(conn, a as string);
      const name = first?.userName as string;
      await t.store().createUser(newConnection(), userInput(name), ctx());
      const list = (filter: string, startIndex = 1, count = 100) => t.store().listUsers(conn, { filter: parseFilter(filter), startIndex, count });
      const only = { totalResults: 1, records: [{ ...first, deleted: undefined }] };
      const strip = (page: Awaited<ReturnType<typeof list>>) => ({ ...page, records: page.records.map((u) => ({ ...u, deleted: undefined })) });
      expect(strip(await list(`userName eq "${name.toUpperCase()}"`))).toEqual(only);
      expect(strip(await list(`id eq "${a as string}"`))).toEqual(only);
      expect(strip(await list(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "${name}"`))).toEqual(only);
      expect(strip(await list(`userName eq "${name}" and active eq true`))).toEqual(only);
      expect(await list(`userName eq "${name}" and active eq false`)).toEqual({ totalResults: 0, records: [] });
      expect(await list(`userName eq "${name}"`, 2)).toEqual({ totalResults: 1, records: [] });
      expect(await list(`userName eq "${name}"`, 1, 0)).toEqual({ totalResults: 1, records: [] });
      expect(await list('userName eq "nobody@example.com"')).toEqual({ totalResults: 0, records: [] });
      expect(await list(`id eq "${(a as string).toUpperCase()}"`)).toEqual({ totalResults: 0, records: [] });
      // Not pinned: an `or` of two names is a page of two.
      expect((await list(`userName eq "${name}" or id eq "${b as string}"`)).totalResults).toBe(2);
      await t.store().deleteUser(conn, a as string, {}, ctx());
      expect(await list(`id eq "${a as string}"`)).toEqual({ totalResults: 0, records: [] });
      expect(await list(`userName eq "${name}"`)).toEqual({ totalResults: 0, records: [] });
    });
  });
}
