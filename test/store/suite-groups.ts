import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/filter/index.js';
import type { GroupInput } from '../../src/directory/model.js';
import { createManyUsers, createUsers, ctx, expectCode, jobsByUser, newConnection, type SuiteContext } from './fixtures.js';

const group = (displayName: string, members: string[] = [], externalId: string | null = null): GroupInput => ({
  displayName,
  externalId,
  attributes: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName },
  members,
});

/** Groups: uniqueness, membership deltas, versions, the jobs each change enqueues. */
export function groupTests(t: SuiteContext): void {
  describe('groups', () => {
    it('creates a group with de-duplicated members and enqueues them', async () => {
      const conn = newConnection();
      const [a, b] = await createUsers(t.store(), conn, 2);
      const created = await t.store().createGroup(conn, group('Admins', [a!, b!, a!], 'ext-g'), ctx('req-g'));
      expect(created).toMatchObject({ displayName: 'Admins', externalId: 'ext-g', version: 1, memberCount: 2 });
      expect(created.members?.map((m) => m.value).sort()).toEqual([a, b].sort());
      expect(created.members?.find((m) => m.value === a)?.display).toBe('user00000@example.com');
      const jobs = await jobsByUser(t.store(), conn);
      expect(jobs.get(a!)).toMatchObject({ reason: 'group.membership', generation: 2, requestIds: ['req-1', 'req-g'] });

      const read = await t.store().getGroup(conn, created.id);
      expect(read).toMatchObject({ id: created.id, memberCount: 2 });
      expect(read?.members).toBeUndefined();
      expect((await t.store().getGroup(conn, created.id, { members: true }))?.members).toEqual(created.members);
      expect(await t.store().getGroup(conn, 'missing')).toBeNull();
      const listed = await t.store().listGroups(conn, { startIndex: 1, count: 10 }, { members: true });
      expect(listed.records[0]?.members).toEqual(created.members);
      expect(await t.store().groupsOfUsers(conn, [a!, b!])).toEqual([
        { userId: a, groupId: created.id, displayName: 'Admins', externalId: 'ext-g' },
        { userId: b, groupId: created.id, displayName: 'Admins', externalId: 'ext-g' },
      ].sort((x, y) => (x.userId! < y.userId! ? -1 : 1)));
    });

    it('keeps displayName unique case-insensitively', async () => {
      const conn = newConnection();
      await t.store().createGroup(conn, group('Sales'), ctx());
      const err = await expectCode(t.store().createGroup(conn, group('SALES'), ctx()), 'UNIQUENESS');
      expect(err.message).toBe('displayName "SALES" is already taken');
      const other = await t.store().createGroup(conn, group('Ops'), ctx());
      await expectCode(t.store().patchGroup(conn, other.id, { displayName: 'sales' }, {}, ctx()), 'UNIQUENESS');
    });

    it('applies member deltas: idempotent add and remove, replace as a diff', async () => {
      const conn = newConnection();
      const [a, b, c] = (await createUsers(t.store(), conn, 3)) as [string, string, string];
      const g = await t.store().createGroup(conn, group('Team', [a, b]), ctx());
      const before = await jobsByUser(t.store(), conn);

      const same = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'add', ids: [a] }, { kind: 'remove', ids: [c] }], displayName: 'Team' }, {}, ctx('noop'));
      expect(same).toMatchObject({ version: 1, lastModified: g.lastModified, memberCount: 2 });
      expect(await jobsByUser(t.store(), conn)).toEqual(before);

      const replaced = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'replace', ids: [b, c, c] }] }, { ifVersion: 1 }, ctx('replace'));
      expect(replaced).toMatchObject({ version: 2, memberCount: 2 });
      expect(replaced.members).toBeUndefined();
      const after = await jobsByUser(t.store(), conn);
      expect(after.get(a)?.generation).toBe(before.get(a)!.generation + 1);
      expect(after.get(c)?.generation).toBe(before.get(c)!.generation + 1);
      expect(after.get(b)?.generation).toBe(before.get(b)!.generation);
      expect(after.get(a)?.requestIds.at(-1)).toBe('replace');

      const removed = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'removeWhere', filter: parseFilter(`value eq "${b}"`) }] }, {}, ctx());
      expect(removed).toMatchObject({ version: 3, memberCount: 1 });
      // Removing and adding the same user in one PATCH changes nothing for that user.
      const swap = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'remove', ids: [c] }, { kind: 'add', ids: [c, a] }] }, {}, ctx('swap'));
      expect(swap.memberCount).toBe(2);
      const swapped = await jobsByUser(t.store(), conn);
      expect(swapped.get(c)?.requestIds.at(-1)).not.toBe('swap');
      expect(swapped.get(a)?.requestIds.at(-1)).toBe('swap');

      const cleared = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'replace', ids: [] }] }, {}, ctx());
      expect(cleared).toMatchObject({ version: 5, memberCount: 0 });
      await expectCode(t.store().patchGroup(conn, g.id, {}, { ifVersion: 1 }, ctx()), 'VERSION_MISMATCH');
      await expectCode(t.store().patchGroup(conn, 'missing', {}, {}, ctx()), 'NOT_FOUND');
    });

    it('applies membership steps in order: a filter removal after an add removes the added member', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      const g = await t.store().createGroup(conn, group('Ordered', [b]), ctx());
      const userA = await t.store().getUser(conn, a);
      const before = await jobsByUser(t.store(), conn);
      const byName = parseFilter(`display eq "${userA!.userName}"`);
      const removed = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'add', ids: [a] }, { kind: 'removeWhere', filter: byName }] }, {}, ctx('add-remove'));
      expect(removed).toMatchObject({ version: 1, memberCount: 1 });
      // Added and removed in one PATCH: no change, so no job for that user.
      expect(await jobsByUser(t.store(), conn)).toEqual(before);
      const added = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'removeWhere', filter: byName }, { kind: 'add', ids: [a] }] }, {}, ctx('remove-add'));
      expect(added).toMatchObject({ version: 2, memberCount: 2 });
      const replaced = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'replace', ids: [a] }, { kind: 'removeWhere', filter: byName }] }, {}, ctx());
      expect(replaced).toMatchObject({ version: 3, memberCount: 0 });
    });

    it('replaces a group as a diff and enqueues only the changed members', async () => {
      const conn = newConnection();
      const [a, b, c] = (await createUsers(t.store(), conn, 3)) as [string, string, string];
      const g = await t.store().createGroup(conn, group('Team', [a, b]), ctx());
      const before = await jobsByUser(t.store(), conn);
      const replaced = await t.store().replaceGroup(conn, g.id, group('Team', [b, c]), { ifVersion: 1 }, ctx('put'));
      expect(replaced).toMatchObject({ version: 2, memberCount: 2 });
      expect(replaced.members?.map((m) => m.value).sort()).toEqual([b, c].sort());
      const after = await jobsByUser(t.store(), conn);
      expect(after.get(b)?.generation).toBe(before.get(b)!.generation);
      expect(after.get(a)?.requestIds.at(-1)).toBe('put');
      expect(after.get(c)?.reason).toBe('group.membership');
      await expectCode(t.store().replaceGroup(conn, g.id, group('Team'), { ifVersion: 1 }, ctx()), 'VERSION_MISMATCH');
    });

    it('rejects unknown or deleted members with INVALID_VALUE, writing nothing', async () => {
      const conn = newConnection();
      const [a, gone] = (await createUsers(t.store(), conn, 2)) as [string, string];
      await t.store().deleteUser(conn, gone, {}, ctx());
      const g = await t.store().createGroup(conn, group('Team', [a]), ctx());
      const before = await jobsByUser(t.store(), conn);
      const unknown = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7'];
      const err = await expectCode(t.store().patchGroup(conn, g.id, { members: [{ kind: 'replace', ids: [] }, { kind: 'add', ids: [a, ...unknown] }] }, {}, ctx()), 'INVALID_VALUE');
      expect(err.message).toContain('x1, x2, x3, x4, x5 and 2 more');
      await expectCode(t.store().replaceGroup(conn, g.id, group('Renamed', [gone]), {}, ctx()), 'INVALID_VALUE');
      await expectCode(t.store().createGroup(conn, group('New', [a, 'nope']), ctx()), 'INVALID_VALUE');
      expect(await t.store().getGroup(conn, g.id, { members: true })).toMatchObject({ displayName: 'Team', version: 1, memberCount: 1 });
      expect((await t.store().listGroups(conn, { startIndex: 1, count: 10 })).totalResults).toBe(1);
      expect(await jobsByUser(t.store(), conn)).toEqual(before);
    });

    it('enqueues every member on rename and delete, and bumps groups when a member is deleted', async () => {
      const conn = newConnection();
      const [a, b, c] = (await createUsers(t.store(), conn, 3)) as [string, string, string];
      const g = await t.store().createGroup(conn, group('Team', [a, b], 'e1'), ctx());
      const renamed = await t.store().patchGroup(conn, g.id, { displayName: 'Squad', members: [{ kind: 'remove', ids: [b] }] }, {}, ctx('rename'));
      expect(renamed).toMatchObject({ displayName: 'Squad', version: 2, memberCount: 1 });
      let jobs = await jobsByUser(t.store(), conn);
      expect(jobs.get(a)).toMatchObject({ reason: 'group.renamed' });
      expect(jobs.get(b)?.requestIds.at(-1)).toBe('rename');
      expect(jobs.get(c)?.requestIds.at(-1)).not.toBe('rename');

      await t.store().patchGroup(conn, g.id, { externalId: 'e2' }, {}, ctx('ext'));
      expect((await jobsByUser(t.store(), conn)).get(a)?.requestIds.at(-1)).toBe('ext');

      await t.store().patchGroup(conn, g.id, { members: [{ kind: 'add', ids: [c] }] }, {}, ctx());
      await t.store().deleteUser(conn, c, {}, ctx());
      expect(await t.store().getGroup(conn, g.id)).toMatchObject({ version: 5, memberCount: 1 });
      expect(await t.store().groupsOfUsers(conn, [c])).toEqual([]);

      await t.store().deleteGroup(conn, g.id, { ifVersion: 5 }, ctx('del'));
      jobs = await jobsByUser(t.store(), conn);
      expect(jobs.get(a)).toMatchObject({ reason: 'group.deleted' });
      expect(await t.store().getGroup(conn, g.id)).toBeNull();
      await expectCode(t.store().deleteGroup(conn, g.id, {}, ctx()), 'NOT_FOUND');
    });

    it('never leaves a deleted user in a group when adds and deletes race', async () => {
      const conn = newConnection();
      const ids = await createUsers(t.store(), conn, 16);
      const g = await t.store().createGroup(conn, group('Race', ids.slice(0, 4)), ctx());
      const outcomes = await Promise.allSettled(
        ids.flatMap((id, i) => [
          (i % 2 ? t.store() : t.other()).patchGroup(conn, g.id, { members: [{ kind: 'add', ids: [id] }] }, {}, ctx()),
          (i % 2 ? t.other() : t.store()).deleteUser(conn, id, {}, ctx()),
        ]),
      );
      const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as { code?: string }).code] : []));
      expect(failures.filter((code) => code !== 'INVALID_VALUE')).toEqual([]);
      const members = (await t.store().getGroup(conn, g.id, { members: true }))?.members ?? [];
      expect(members).toEqual([]);
      expect(await t.store().groupsOfUsers(conn, ids)).toEqual([]);
    });

    it('adds 5,000 members in one PATCH and enqueues 5,000 jobs', async () => {
      const conn = newConnection();
      const ids = await createManyUsers(t.store(), conn, 5000);
      const g = await t.store().createGroup(conn, group('Everyone'), ctx());
      const patched = await t.store().patchGroup(conn, g.id, { members: [{ kind: 'add', ids }] }, {}, ctx('bulk'));
      expect(patched.memberCount).toBe(5000);
      const jobs = await t.store().listJobs(conn, { limit: 10_000 });
      expect(jobs).toHaveLength(5000);
      expect(jobs.every((j) => j.reason === 'group.membership' && j.requestIds.at(-1) === 'bulk')).toBe(true);
      const renamed = await t.store().patchGroup(conn, g.id, { displayName: 'All' }, {}, ctx('rename'));
      expect(renamed.version).toBe(3);
      expect((await t.store().listJobs(conn, { limit: 10_000 })).filter((j) => j.reason === 'group.renamed')).toHaveLength(5000);
      const listed = await t.store().listUsers(conn, { filter: parseFilter(`groups.value eq "${g.id}"`), startIndex: 1, count: 1 });
      expect(listed.totalResults).toBe(5000);
    });
  });
}
