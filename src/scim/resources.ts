import { BridgeError } from '../errors.js';
import type { GroupInput, GroupRecord, MemberRef, UserGroupRef, UserInput, UserRecord } from '../directory/model.js';
import type { SyncState } from '../directory/store.js';
import { normalizeGroupBody, normalizeUserBody } from './quirks.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, SYNC_SCHEMA, USER_SCHEMA, coerceGroup, coerceUser } from './schemas.js';
import { isJsonObject as isObject, type JsonObject as Json } from './json.js';

/**
 * SCIM resources in and out: request bodies become store inputs (validated by scimmy), store
 * records become SCIM JSON with `schemas`, `id` and `meta` always present.
 */


/** A request body, validated: an object, or INVALID_SYNTAX. */
export function requireObject(body: unknown, what: string): Json {
  if (!isObject(body)) throw new BridgeError('INVALID_SYNTAX', `${what} must be a JSON object`);
  return body;
}

/** Turns a POST/PUT User body into store input. */
export function userInputFromBody(body: unknown): UserInput {
  return userInputFromAttributes(coerceUser(normalizeUserBody(requireObject(body, 'a User'))));
}

/** Store input from coerced attributes (also used after PATCH). */
export function userInputFromAttributes(coerced: Json): UserInput {
  const attributes = { ...coerced };
  delete attributes.meta;
  delete attributes.id;
  const userName = typeof attributes.userName === 'string' ? attributes.userName.trim() : '';
  if (userName === '') throw new BridgeError('INVALID_VALUE', 'userName is required and must not be empty');
  if (userName.length > 512) throw new BridgeError('INVALID_VALUE', 'userName is longer than 512 characters');
  const externalId = typeof attributes.externalId === 'string' && attributes.externalId !== '' ? attributes.externalId : null;
  const active = attributes.active === undefined ? true : attributes.active === true;
  attributes.active = active;
  const emails = (Array.isArray(attributes.emails) ? attributes.emails : []).filter(isObject).flatMap((e) =>
    typeof e.value === 'string' && e.value !== '' ? [{ value: e.value, type: typeof e.type === 'string' ? e.type : null, primary: e.primary === true }] : [],
  );
  return { userName: attributes.userName as string, externalId, active, emails, attributes };
}

/** Turns a POST/PUT Group body into store input (members de-duplicated by the store). */
export function groupInputFromBody(body: unknown): GroupInput {
  const coerced = coerceGroup(normalizeGroupBody(requireObject(body, 'a Group')));
  const { members, meta: _meta, id: _id, ...attributes } = coerced;
  const displayName = typeof attributes.displayName === 'string' ? attributes.displayName.trim() : '';
  if (displayName === '') throw new BridgeError('INVALID_VALUE', 'displayName is required and must not be empty');
  const externalId = typeof attributes.externalId === 'string' && attributes.externalId !== '' ? attributes.externalId : null;
  return { displayName: attributes.displayName as string, externalId, attributes, members: memberIds(members) };
}

/** Member ids from a `members` value (`[{value}]`); anything else is INVALID_VALUE. */
export function memberIds(members: unknown): string[] {
  if (members === undefined) return [];
  const list = Array.isArray(members) ? members : [members];
  return list.map((m, i) => {
    const value = isObject(m) ? m.value : undefined;
    if (typeof value !== 'string' || value === '') throw new BridgeError('INVALID_VALUE', `members[${i}] needs a "value" with a user id`);
    return value;
  });
}

/** The weak ETag of a version (RFC 7644 §3.14). */
export const etagOf = (version: number): string => `W/"${version}"`;

/** Parses `If-Match` into a version; `*` or absent means no condition. */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*' || header.trim() === '') return undefined;
  const match = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  if (!match) throw new BridgeError('VERSION_MISMATCH', `If-Match ${header.slice(0, 40)} does not match the current version`);
  return Number(match[1]);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A User as SCIM JSON. */
export function renderUser(record: UserRecord, basepath: string, groups: readonly UserGroupRef[], sync: SyncState | undefined): Json {
  const { schemas: _schemas, ...attributes } = record.attributes;
  const schemas = [USER_SCHEMA, ...(isObject(attributes[ENTERPRISE_SCHEMA]) ? [ENTERPRISE_SCHEMA] : []), SYNC_SCHEMA];
  return {
    schemas,
    id: record.id,
    ...(record.externalId !== null ? { externalId: record.externalId } : {}),
    ...attributes,
    active: record.active,
    groups: groups.map((g) => ({ value: g.groupId, display: g.displayName, $ref: `${basepath}/Groups/${g.groupId}`, type: 'direct' })),
    [SYNC_SCHEMA]: renderSync(sync),
    meta: { resourceType: 'User', created: iso(record.created), lastModified: iso(record.lastModified), location: `${basepath}/Users/${record.id}`, version: etagOf(record.version) },
  };
}

function renderSync(sync: SyncState | undefined): Json {
  if (!sync) return { state: 'pending' };
  return {
    state: sync.status,
    accountStatus: sync.accountStatus,
    ...(sync.targetId !== null ? { targetId: sync.targetId } : {}),
    ...(sync.role !== null ? { effectiveRole: sync.role } : {}),
    ...(sync.lastError ? { lastError: sync.lastError } : {}),
    ...(sync.lastSyncAt !== null ? { lastSyncAt: iso(sync.lastSyncAt) } : {}),
  };
}

/** A Group as SCIM JSON; `members` only when the record carries them. */
export function renderGroup(record: GroupRecord, basepath: string): Json {
  const { schemas: _schemas, ...attributes } = record.attributes;
  return {
    schemas: [GROUP_SCHEMA],
    id: record.id,
    ...(record.externalId !== null ? { externalId: record.externalId } : {}),
    ...attributes,
    displayName: record.displayName,
    ...(record.members ? { members: record.members.map((m) => renderMember(m, basepath)) } : {}),
    meta: { resourceType: 'Group', created: iso(record.created), lastModified: iso(record.lastModified), location: `${basepath}/Groups/${record.id}`, version: etagOf(record.version) },
  };
}

function renderMember(member: MemberRef, basepath: string): Json {
  return { value: member.value, ...(member.display !== undefined ? { display: member.display } : {}), $ref: `${basepath}/Users/${member.value}`, type: 'User' };
}
