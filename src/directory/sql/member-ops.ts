import type { MemberRef, UserGroupRef } from '../model.js';
import type { Dialect } from './dialect.js';
import { sql } from './sql.js';
import { rows, type Tx } from './tx.js';

/** Membership reads: one query for a whole page of groups or users, never one per row. */

/** The members of each given group (value = user id, display = userName), ordered by user id. */
export function* membersOf(d: Dialect, connection: string, groupIds: readonly string[]): Tx<Map<string, MemberRef[]>> {
  const members = new Map<string, MemberRef[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return members;
  const found = yield* rows(sql`SELECT gm.group_id, gm.member_id, u.user_name FROM group_members gm
    JOIN users u ON u.connection = gm.connection AND u.id = gm.member_id
    WHERE gm.connection = ${connection} AND gm.group_id IN (${d.list(groupIds)}) ORDER BY gm.group_id, gm.member_id`);
  for (const row of found) members.get(String(row.group_id))?.push({ value: String(row.member_id), display: String(row.user_name) });
  return members;
}

/** The groups of each given user, ordered by user id then group displayName. */
export function* groupsOfUsers(d: Dialect, connection: string, userIds: readonly string[]): Tx<UserGroupRef[]> {
  if (userIds.length === 0) return [];
  const found = yield* rows(sql`SELECT gm.member_id, g.id, g.display_name, g.external_id FROM group_members gm
    JOIN groups g ON g.connection = gm.connection AND g.id = gm.group_id
    WHERE gm.connection = ${connection} AND gm.member_id IN (${d.list(userIds)}) ORDER BY gm.member_id, g.display_name_ci, g.id`);
  return found.map((row) => ({
    userId: String(row.member_id),
    groupId: String(row.id),
    displayName: String(row.display_name),
    externalId: row.external_id === null || row.external_id === undefined ? null : String(row.external_id),
  }));
}
