import { randomUUID } from 'node:crypto';
import { BridgeError, isBridgeError } from '../../errors.js';
import type { UserInput, UserRecord, WriteContext, WriteOptions } from '../model.js';
import type { Dialect } from './dialect.js';
import { enqueue, enqueueStatement, userIdList } from './job-ops.js';
import { toLiveUser, toUser, userColumns } from './rows.js';
import { empty, join, sql, type Sql } from './sql.js';
import { exec, first, rows, type Row, type Tx } from './tx.js';

/**
 * User writes. Each one runs in a single transaction together with the user's convergence job.
 * Deleting keeps a tombstone (deleted_at) that frees the userName and stays invisible until the
 * worker purges it.
 */

/** Rethrows a uniqueness violation of `attribute` with the value that clashed. */
export function uniquenessOf(err: unknown, attribute: string, value: string): unknown {
  if (isBridgeError(err) && err.code === 'UNIQUENESS') {
    return new BridgeError('UNIQUENESS', `${attribute} "${value}" is already taken`, { details: { attribute }, cause: err });
  }
  return err;
}

/** Throws VERSION_MISMATCH when the client's If-Match version is not the current one. */
export function checkVersion(kind: 'User' | 'Group', id: string, current: number, options: WriteOptions): void {
  if (options.ifVersion !== undefined && options.ifVersion !== current) {
    throw new BridgeError('VERSION_MISMATCH', `${kind} ${id} is at version ${current}, not ${options.ifVersion}`, {
      details: { id, version: current },
    });
  }
}

/** NOT_FOUND for a resource id. */
export function notFound(kind: 'User' | 'Group', id: string): BridgeError {
  return new BridgeError('NOT_FOUND', `${kind} ${id} not found`, { details: { id } });
}

/** The INSERT of a user's emails; null when there are none. */
function emailsInsert(connection: string, userId: string, emails: UserInput['emails']): Sql | null {
  if (emails.length === 0) return null;
  const values = emails.map((e) => sql`(${connection}, ${userId}, ${e.value.toLowerCase()}, ${e.type === null ? null : e.type.toLowerCase()}, ${e.primary})`);
  return sql`INSERT INTO user_emails (connection, user_id, value_ci, type_ci, is_primary) VALUES ${join(values, ', ')}`;
}

function* insertEmails(connection: string, userId: string, emails: UserInput['emails']): Tx<void> {
  const insert = emailsInsert(connection, userId, emails);
  if (insert !== null) yield* exec(insert);
}

/** Reads a live user and locks its row (PostgreSQL) for the rest of the transaction. */
function* lockLiveUser(connection: string, id: string, lock: Sql): Tx<Row> {
  const row = yield* first(sql`SELECT ${userColumns} FROM users u WHERE u.connection = ${connection} AND u.id = ${id} AND u.deleted_at IS NULL${lock}`);
  if (row === undefined) throw notFound('User', id);
  return row;
}

/**
 * Creates a user and enqueues its job. Where the database writes in WITH (PostgreSQL), the user,
 * its emails and its job are one statement, atomic on its own (the caller runs it without BEGIN
 * and COMMIT: one round trip instead of five); elsewhere three statements in the transaction.
 */
export function* createUser(d: Dialect, connection: string, input: UserInput, ctx: WriteContext): Tx<UserRecord> {
  const now = Date.now();
  const id = ctx.newId ?? randomUUID();
  const insertUser = sql`INSERT INTO users (connection, id, user_name, user_name_ci, external_id, active, attributes, version, created, last_modified)
      VALUES (${connection}, ${id}, ${input.userName}, ${input.userName.toLowerCase()}, ${input.externalId}, ${input.active},
        ${d.json(input.attributes)}, 1, ${now}, ${now})`;
  const insertEmails = emailsInsert(connection, id, input.emails);
  const enqueueJob = enqueueStatement(d, connection, userIdList(d, [id]), 'user.created', ctx.requestId);
  // The emails' foreign key is checked at the end of the statement, when the user row is there.
  const emails = insertEmails === null ? empty : sql`, emails AS (${insertEmails})`;
  try {
    // In one statement the only unique key that can clash is the user's (emails have none, the job upserts).
    yield* exec(d.writesInWith ? sql`WITH new_user AS (${insertUser})${emails} ${enqueueJob}` : insertUser);
  } catch (err) {
    throw uniquenessOf(err, 'userName', input.userName);
  }
  if (!d.writesInWith) {
    if (insertEmails !== null) yield* exec(insertEmails);
    yield* exec(enqueueJob);
  }
  const { userName, externalId, active, attributes } = input;
  return { id, userName, externalId, active, attributes, version: 1, created: now, lastModified: now };
}

/** Reads a user; tombstones only when asked. */
export function* getUser(connection: string, id: string, includeDeleted: boolean): Tx<(UserRecord & { deleted: boolean }) | null> {
  const row = yield* first(sql`SELECT ${userColumns} FROM users u WHERE u.connection = ${connection} AND u.id = ${id}`);
  if (row === undefined) return null;
  const user = toUser(row);
  return user.deleted && !includeDeleted ? null : user;
}

/** Users by id, tombstones included; absent ones are left out. */
export function* getUsers(d: Dialect, connection: string, ids: readonly string[]): Tx<(UserRecord & { deleted: boolean })[]> {
  if (ids.length === 0) return [];
  const found = yield* rows(sql`SELECT ${userColumns} FROM users u WHERE u.connection = ${connection} AND u.id IN (${d.list([...new Set(ids)])})`);
  return found.map(toUser);
}

/** Replaces a live user (PUT, or a PATCH applied by the SCIM layer) and enqueues its job. */
export function* replaceUser(d: Dialect, connection: string, id: string, input: UserInput, options: WriteOptions, ctx: WriteContext): Tx<UserRecord> {
  const current = toUser(yield* lockLiveUser(connection, id, d.lock.noKeyUpdate));
  checkVersion('User', id, current.version, options);
  const now = Math.max(Date.now(), current.lastModified);
  let updated: Row[];
  try {
    updated = yield* rows(sql`UPDATE users SET user_name = ${input.userName}, user_name_ci = ${input.userName.toLowerCase()},
      external_id = ${input.externalId}, active = ${input.active}, attributes = ${d.json(input.attributes)},
      version = version + 1, last_modified = ${now}
      WHERE connection = ${connection} AND id = ${id} RETURNING id, user_name, external_id, active, attributes, version, created, last_modified, deleted_at`);
  } catch (err) {
    throw uniquenessOf(err, 'userName', input.userName);
  }
  yield* exec(sql`DELETE FROM user_emails WHERE connection = ${connection} AND user_id = ${id}`);
  yield* insertEmails(connection, id, input.emails);
  yield* enqueue(d, connection, userIdList(d, [id]), 'user.replaced', ctx.requestId);
  return toLiveUser(updated[0] as Row);
}

/** Tombstones a user, drops its memberships (bumping those groups) and enqueues its job. */
export function* deleteUser(d: Dialect, connection: string, id: string, options: WriteOptions, ctx: WriteContext): Tx<void> {
  // FOR UPDATE conflicts with the FOR KEY SHARE that member validation takes, so a concurrent
  // group write either sees the tombstone or has committed its membership before we drop them.
  // Lock order everywhere: users first, then groups by id (no deadlock with group writes).
  const current = toUser(yield* lockLiveUser(connection, id, d.lock.update));
  checkVersion('User', id, current.version, options);
  const now = Date.now();
  yield* exec(sql`UPDATE users SET deleted_at = ${now}, version = version + 1, last_modified = ${Math.max(now, current.lastModified)}
    WHERE connection = ${connection} AND id = ${id}`);
  const ofUser = sql`connection = ${connection} AND id IN (SELECT group_id FROM group_members WHERE connection = ${connection} AND member_id = ${id})`;
  yield* rows(sql`SELECT id FROM groups WHERE ${ofUser} ORDER BY id${d.lock.noKeyUpdate}`);
  yield* exec(sql`UPDATE groups SET version = version + 1, last_modified = ${now} WHERE ${ofUser}`);
  yield* exec(sql`DELETE FROM group_members WHERE connection = ${connection} AND member_id = ${id}`);
  yield* exec(sql`DELETE FROM user_emails WHERE connection = ${connection} AND user_id = ${id}`);
  yield* enqueue(d, connection, userIdList(d, [id]), 'user.deleted', ctx.requestId);
}

/** Removes a tombstone for good. */
export function* purgeUser(connection: string, id: string): Tx<void> {
  yield* exec(sql`DELETE FROM users WHERE connection = ${connection} AND id = ${id} AND deleted_at IS NOT NULL`);
}
