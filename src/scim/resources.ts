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

/** Turns a POST/PUT User body into store input; `current` is the stored user a PUT replaces. */
export function userInputFromBody(body: unknown, current?: Pick<UserRecord, 'active'>): UserInput {
  return userInputFromAttributes(coerceUser(normalizeUserBody(requireObject(body, 'a User'))), current);
}

/**
 * Store input from coerced attributes (also used after PATCH). `active` decides access, so an
 * unassigned one never grants it: on create it means active (as Okta and Entra always send), on
 * an update (`current` given) access stays as it was and `active` stays unassigned in the SCIM
 * view (RFC 7644 §3.5.2.2: remove makes it unassigned; docs/scim.md).
 */
export function userInputFromAttributes(coerced: Json, current?: Pick<UserRecord, 'active'>): UserInput {
  const attributes = { ...coerced };
  delete attributes.meta;
  delete attributes.id;
  const userName = typeof attributes.userName === 'string' ? attributes.userName.trim() : '';
  if (userName === '') throw new BridgeError('INVALID_VALUE', 'userName is required and must not be empty');
  if (userName.length > 512) throw new BridgeError('INVALID_VALUE', 'userName is longer than 512 characters');
  const externalId = typeof attributes.externalId === 'string' && attributes.externalId !== '' ? attributes.externalId : null;
  let active: boolean;
  if (attributes.active !== undefined) active = attributes.active === true;
  else if (current) active = current.active;
  else active = attributes.active = true;
  const emails = (Array.isArray(attributes.emails) ? attributes.emails : []).filter(isObject).flatMap((e) =>
    typeof e.value === 'string' && e.value !== '' ? [{ value: e.value, type: typeof e.type === 'string' ? e.type : null, primary: e.primary === true }] : [],
  );
  return { userName: attributes.userName as string, externalId, active, emails, attributes };
}

/** Turns a POST/PUT Group body into store input (members de-duplicated by the store). */
export function groupInputFromBody(body: unknown): GroupInput {
  const coerced = coerceGroup(normalizeGroupBody(requireObject(body, 'a Group')));
  // displayName and externalId live in their columns only: one source of truth per attribute.
  const { members, meta: _meta, id: _id, displayName: rawName, externalId: rawExternalId, ...attributes } = coerced;
  const displayName = typeof rawName === 'string' ? rawName.trim() : '';
  if (displayName === '') throw new BridgeError('INVALID_VALUE', 'displayName is required and must not be empty');
  const externalId = typeof rawExternalId === 'string' && rawExternalId !== '' ? rawExternalId : null;
  return { displayName: rawName as string, externalId, attributes, members: memberIds(members) };
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

// What a record keeps outside its stored attributes (columns, membership, rendered fields): a
// copy left in the attributes by an earlier version never wins over the column.
const userOwnKeys = new Set(['schemas', 'id', 'meta', 'externalid', 'username', 'active', 'groups']);
const groupOwnKeys = new Set(['schemas', 'id', 'meta', 'externalid', 'displayname', 'members']);
function without(attributes: Json, keys: ReadonlySet<string>): Json {
  // No prototype: a key `__proto__` (JSON.parse makes it an own key) stays a plain key.
  const kept = Object.create(null) as Json;
  for (const key of Object.keys(attributes)) if (!keys.has(key.toLowerCase())) kept[key] = attributes[key];
  return kept;
}

/**
 * A User as SCIM JSON. Unassigned attributes are omitted (RFC 7643 §2.5): `groups` when the
 * user is in none, `active` when the IdP left it unassigned (access is as it was: docs/scim.md).
 */
export function renderUser(record: UserRecord, basepath: string, groups: readonly UserGroupRef[], sync: SyncState | undefined): Json {
  const attributes = without(record.attributes, userOwnKeys);
  const schemas = [USER_SCHEMA, ...(isObject(attributes[ENTERPRISE_SCHEMA]) ? [ENTERPRISE_SCHEMA] : []), SYNC_SCHEMA];
  const isActiveAssigned = typeof record.attributes.active === 'boolean';
  return {
    schemas,
    id: record.id,
    ...(record.externalId !== null ? { externalId: record.externalId } : {}),
    userName: record.userName,
    ...attributes,
    ...(isActiveAssigned ? { active: record.active } : {}),
    ...(groups.length > 0 ? { groups: groups.map((g) => ({ value: g.groupId, display: g.displayName, $ref: `${basepath}/Groups/${g.groupId}`, type: 'direct' })) } : {}),
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
    ...(sync.warnings && sync.warnings.length > 0 ? { warnings: sync.warnings } : {}),
  };
}

/** A Group as SCIM JSON; `members` only when the record carries some (an empty group has none: RFC 7643 §2.5). */
export function renderGroup(record: GroupRecord, basepath: string): Json {
  return {
    schemas: [GROUP_SCHEMA],
    id: record.id,
    ...(record.externalId !== null ? { externalId: record.externalId } : {}),
    ...without(record.attributes, groupOwnKeys),
    displayName: record.displayName,
    ...(record.members && record.members.length > 0 ? { members: record.members.map((m) => renderMember(m, basepath)) } : {}),
    meta: { resourceType: 'Group', created: iso(record.created), lastModified: iso(record.lastModified), location: `${basepath}/Groups/${record.id}`, version: etagOf(record.version) },
  };
}

function renderMember(member: MemberRef, basepath: string): Json {
  return { value: member.value, ...(member.display !== undefined ? { display: member.display } : {}), $ref: `${basepath}/Users/${member.value}`, type: 'User' };
}
