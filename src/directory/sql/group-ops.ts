import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { BridgeError } from '../../errors.js';
import type { GroupChange, GroupInput, GroupRecord, MemberStep, ScimAttributes, WriteContext, WriteOptions } from '../model.js';
import type { Dialect } from './dialect.js';
import { enqueue, userIdList } from './job-ops.js';
import { membersOf } from './member-ops.js';
import { fromJson, groupColumns, groupRowColumns, toGroup, toNumber } from './rows.js';
import { matchingMemberIds } from './scopes.js';
import { empty, sql, type Sql } from './sql.js';
import { exec, first, rows, type Row, type Tx } from './tx.js';
import { checkVersion, notFound, uniquenessOf } from './user-ops.js';

/**
 * Group writes. Membership changes are deltas computed by the database (`INSERT ... ON CONFLICT
 * DO NOTHING RETURNING`, `DELETE ... RETURNING`): a 10,000-member group never rewrites every
 * row, and exactly the users whose membership changed get a job. A rename or externalId change
 * enqueues every member, since mapping rules match on them.
 */

const NAMED_IDS = 5;

/**
 * Checks that every id is a live user of the connection and locks them (FOR KEY SHARE) against a
 * concurrent deleteUser. Called before the group row is locked: users first, then groups.
 */
function* requireLiveUsers(d: Dialect, connection: string, ids: readonly string[]): Tx<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const found = yield* rows(sql`SELECT u.id, u.user_name FROM users u
    WHERE u.connection = ${connection} AND u.deleted_at IS NULL AND u.id IN (${d.list(ids)})${d.lock.keyShare}`);
  const names = new Map(found.map((row) => [String(row.id), String(row.user_name)]));
  const missing = ids.filter((id) => !names.has(id));
  if (missing.length > 0) {
    const more = missing.length > NAMED_IDS ? ` and ${missing.length - NAMED_IDS} more` : '';
    throw new BridgeError('INVALID_VALUE', `members must be users of this connection; unknown: ${missing.slice(0, NAMED_IDS).join(', ')}${more}`, {
      details: { unknownMembers: missing.slice(0, NAMED_IDS) },
    });
  }
  return names;
}

function* lockGroup(d: Dialect, connection: string, id: string, options: WriteOptions): Tx<Row> {
  const row = yield* first(sql`SELECT ${groupRowColumns} FROM groups g WHERE g.connection = ${connection} AND g.id = ${id}${d.lock.noKeyUpdate}`);
  if (row === undefined) throw notFound('Group', id);
  checkVersion('Group', id, toNumber(row.version), options);
  return row;
}

function* addMembers(d: Dialect, connection: string, groupId: string, ids: readonly string[]): Tx<string[]> {
  if (ids.length === 0) return [];
  const added = yield* rows(sql`INSERT INTO group_members (connection, group_id, member_id)
    SELECT CAST(${connection} AS TEXT), CAST(${groupId} AS TEXT), ids.value FROM (${d.list(ids)}) AS ids WHERE true
    ON CONFLICT (connection, group_id, member_id) DO NOTHING RETURNING member_id`);
  return added.map((row) => String(row.member_id));
}

/** Deletes the members `which` selects (a condition on member_id); returns the ids removed. */
function* removeMembers(connection: string, groupId: string, which: Sql): Tx<string[]> {
  const removed = yield* rows(sql`DELETE FROM group_members WHERE connection = ${connection} AND group_id = ${groupId}${which} RETURNING member_id`);
  return removed.map((row) => String(row.member_id));
}

/** The net membership change of one write: a user removed and added again is unchanged. */
class MembershipDelta {
  readonly added = new Set<string>();
  readonly removed = new Set<string>();
  add(ids: readonly string[]): void {
    for (const id of ids) if (!this.removed.delete(id)) this.added.add(id);
  }
  remove(ids: readonly string[]): void {
    for (const id of ids) if (!this.added.delete(id)) this.removed.add(id);
  }
  get changed(): string[] {
    return [...this.added, ...this.removed];
  }
}

/** Enqueues the users a group write affects: every member (and those removed) after a rename, else those whose membership changed. */
function* enqueueAffected(d: Dialect, connection: string, groupId: string, delta: MembershipDelta, isRenamed: boolean, ctx: WriteContext, now: number): Tx<void> {
  if (isRenamed) {
    const users = sql`SELECT member_id AS user_id FROM group_members WHERE connection = ${connection} AND group_id = ${groupId}
      UNION SELECT value FROM (${d.list([...delta.removed])}) AS removed`;
    yield* enqueue(d, connection, users, 'group.renamed', ctx.requestId);
  } else if (delta.changed.length > 0) {
    yield* enqueue(d, connection, userIdList(d, delta.changed), 'group.membership', ctx.requestId);
  }
}

function* writeGroupRow(d: Dialect, connection: string, id: string, fields: Omit<GroupInput, 'members'>, now: number): Tx<void> {
  try {
    yield* exec(sql`UPDATE groups SET display_name = ${fields.displayName}, display_name_ci = ${fields.displayName.toLowerCase()},
      external_id = ${fields.externalId}, attributes = ${d.json(fields.attributes)}, version = version + 1, last_modified = ${now}
      WHERE connection = ${connection} AND id = ${id}`);
  } catch (err) {
    throw uniquenessOf(err, 'displayName', fields.displayName);
  }
}

/** Reads a group, with its members when asked. */
export function* getGroup(d: Dialect, connection: string, id: string, withMembers: boolean): Tx<GroupRecord | null> {
  const row = yield* first(sql`SELECT ${groupColumns} FROM groups g WHERE g.connection = ${connection} AND g.id = ${id}`);
  if (row === undefined) return null;
  const group = toGroup(row);
  return withMembers ? { ...group, members: (yield* membersOf(d, connection, [id])).get(id) ?? [] } : group;
}

/** Reads a group written earlier in this transaction. */
function* readWritten(d: Dialect, connection: string, id: string, withMembers: boolean): Tx<GroupRecord> {
  const group = yield* getGroup(d, connection, id, withMembers);
  if (group === null) throw notFound('Group', id);
  return group;
}

/** Creates a group with its members and enqueues them. */
export function* createGroup(d: Dialect, connection: string, input: GroupInput, ctx: WriteContext): Tx<GroupRecord> {
  const now = Date.now();
  const id = randomUUID();
  const memberIds = [...new Set(input.members)];
  yield* requireLiveUsers(d, connection, memberIds);
  try {
    yield* exec(sql`INSERT INTO groups (connection, id, display_name, display_name_ci, external_id, attributes, version, created, last_modified)
      VALUES (${connection}, ${id}, ${input.displayName}, ${input.displayName.toLowerCase()}, ${input.externalId},
        ${d.json(input.attributes)}, 1, ${now}, ${now})`);
  } catch (err) {
    throw uniquenessOf(err, 'displayName', input.displayName);
  }
  const delta = new MembershipDelta();
  delta.add(yield* addMembers(d, connection, id, memberIds));
  yield* enqueueAffected(d, connection, id, delta, false, ctx, now);
  return yield* readWritten(d, connection, id, true);
}

/** Replaces a group (PUT): fields overwritten, membership changed by its difference only. */
export function* replaceGroup(d: Dialect, connection: string, id: string, input: GroupInput, options: WriteOptions, ctx: WriteContext): Tx<GroupRecord> {
  const memberIds = [...new Set(input.members)];
  yield* requireLiveUsers(d, connection, memberIds);
  const current = yield* lockGroup(d, connection, id, options);
  const delta = new MembershipDelta();
  delta.remove(yield* removeMembers(connection, id, sql` AND member_id NOT IN (${d.list(memberIds)})`));
  delta.add(yield* addMembers(d, connection, id, memberIds));
  const now = Math.max(Date.now(), toNumber(current.last_modified));
  yield* writeGroupRow(d, connection, id, input, now);
  const isRenamed = input.displayName !== current.display_name || input.externalId !== (current.external_id ?? null);
  yield* enqueueAffected(d, connection, id, delta, isRenamed, ctx, now);
  return yield* readWritten(d, connection, id, true);
}

/** Applies one membership step and records what it changed. */
function* applyMemberStep(d: Dialect, connection: string, groupId: string, step: MemberStep, delta: MembershipDelta): Tx<void> {
  switch (step.kind) {
    case 'add':
      if (step.ids.length > 0) delta.add(yield* addMembers(d, connection, groupId, [...new Set(step.ids)]));
      return;
    case 'remove':
      if (step.ids.length > 0) delta.remove(yield* removeMembers(connection, groupId, sql` AND member_id IN (${d.list(step.ids)})`));
      return;
    case 'removeWhere':
      delta.remove(yield* removeMembers(connection, groupId, sql` AND member_id IN (${matchingMemberIds(d, connection, groupId, step.filter)})`));
      return;
    case 'replace': {
      const ids = [...new Set(step.ids)];
      delta.remove(yield* removeMembers(connection, groupId, sql` AND member_id NOT IN (${d.list(ids)})`));
      delta.add(yield* addMembers(d, connection, groupId, ids));
    }
  }
}

/** Applies a PATCH as deltas, membership steps in order; a PATCH that changes nothing (Okta's rename on every push) writes nothing. */
export function* patchGroup(d: Dialect, connection: string, id: string, change: GroupChange, options: WriteOptions, ctx: WriteContext): Tx<GroupRecord> {
  const steps = change.members ?? [];
  yield* requireLiveUsers(d, connection, [...new Set(steps.flatMap((step) => (step.kind === 'add' || step.kind === 'replace' ? step.ids : [])))]);
  const current = yield* lockGroup(d, connection, id, options);
  const delta = new MembershipDelta();
  for (const step of steps) yield* applyMemberStep(d, connection, id, step, delta);
  const fields = {
    displayName: change.displayName ?? String(current.display_name),
    externalId: change.externalId === undefined ? ((current.external_id as string | null) ?? null) : change.externalId,
    attributes: change.attributes ?? fromJson<ScimAttributes>(current.attributes),
  };
  const isRenamed = fields.displayName !== current.display_name || fields.externalId !== (current.external_id ?? null);
  const isAttributesChanged = !isDeepStrictEqual(fields.attributes, fromJson<ScimAttributes>(current.attributes));
  if (isRenamed || isAttributesChanged || delta.changed.length > 0) {
    const now = Math.max(Date.now(), toNumber(current.last_modified));
    yield* writeGroupRow(d, connection, id, fields, now);
    yield* enqueueAffected(d, connection, id, delta, isRenamed, ctx, now);
  }
  return yield* readWritten(d, connection, id, false);
}

/** Deletes a group and enqueues every member. */
export function* deleteGroup(d: Dialect, connection: string, id: string, options: WriteOptions, ctx: WriteContext): Tx<void> {
  yield* lockGroup(d, connection, id, options);
  const members = sql`SELECT member_id AS user_id FROM group_members WHERE connection = ${connection} AND group_id = ${id}`;
  yield* enqueue(d, connection, members, 'group.deleted', ctx.requestId);
  yield* exec(sql`DELETE FROM group_members WHERE connection = ${connection} AND group_id = ${id}`);
  yield* exec(sql`DELETE FROM groups WHERE connection = ${connection} AND id = ${id}`);
}
