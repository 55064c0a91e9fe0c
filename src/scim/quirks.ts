import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, SYNC_SCHEMA, USER_SCHEMA } from './schemas.js';
import { isJsonObject as isObject, type JsonObject as Json } from './json.js';
import { BridgeError } from '../errors.js';

/**
 * What Okta and Entra really send, normalised before scimmy validates it (pure functions;
 * sources: Okta's SCIM 2.0 reference, Microsoft Learn's SCIM tutorial and known-issues pages). Every quirk here is accepted, never silently dropped.
 */



/** Removes nulls deeply: RFC 7643 §2.5 says null means unassigned (Entra sends explicit nulls, Microsoft Learn, SCIM endpoint tutorial). */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(stripNulls);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = stripNulls(item);
  return out;
}

/** `"True"`, `"False"`, `"true"`, `"false"` as booleans (Entra without aadOptscim062020, Microsoft Learn, SCIM endpoint tutorial). */
export function toBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const lower = value.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : value;
}

const booleanAttributes = new Set(['active', 'primary']);

/** Fixes string booleans at `active` and at every `primary` (Entra sends roles[].primary as "false", Microsoft Learn, provisioning a role to a SCIM app). */
export function normalizeBooleans(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalizeBooleans(v, key));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeBooleans(v, k)]));
  }
  return booleanAttributes.has(lastSegment(key)) ? toBoolean(value) : value;
}

function lastSegment(key: string): string {
  const afterColon = key.slice(key.lastIndexOf(':') + 1);
  return afterColon.slice(afterColon.lastIndexOf('.') + 1).toLowerCase();
}

/** Entra's misspelled enterprise URN, without the colon before `User` (Microsoft Learn, SCIM endpoint tutorial). */
const MISSPELLED_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0user';
const fixUrn = (urn: string): string => (urn.toLowerCase() === MISSPELLED_ENTERPRISE ? ENTERPRISE_SCHEMA : urn);

/** Fixes Entra's misspelled enterprise URN; unknown schema URNs (Entra's ADSCIM Group, Microsoft Learn, SCIM endpoint tutorial) are dropped. */
export function normalizeSchemas(body: Json, resource: 'User' | 'Group'): Json {
  const known = resource === 'User' ? [USER_SCHEMA, ENTERPRISE_SCHEMA] : [GROUP_SCHEMA];
  const fixed: Json = {};
  for (const [key, item] of Object.entries(body)) fixed[fixUrn(key)] = item;
  const listed = Array.isArray(body.schemas) ? body.schemas : [];
  const schemas = listed
    .filter((s): s is string => typeof s === 'string')
    .map((s) => known.find((k) => k.toLowerCase() === fixUrn(s).toLowerCase()))
    .filter((s): s is string => s !== undefined);
  if (!schemas.includes(known[0] as string)) schemas.unshift(known[0] as string);
  if (resource === 'User' && isObject(fixed[ENTERPRISE_SCHEMA]) && !schemas.includes(ENTERPRISE_SCHEMA)) schemas.push(ENTERPRISE_SCHEMA);
  fixed.schemas = schemas;
  return fixed;
}

/**
 * Entra's manager as `[{"$ref":...,"value":...}]` or a bare id string becomes `{value, $ref}`
 * (Microsoft Learn, SCIM endpoint tutorial). `$ref` is readWrite (RFC 7643 §4.3): a string is
 * kept; Entra's `"$ref": null` means unassigned and is dropped.
 */
export function normalizeManager(value: unknown): unknown {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return { value: first };
  if (!isObject(first)) return first;
  const { $ref: ref, ...rest } = first;
  return typeof ref === 'string' ? { ...rest, $ref: ref } : rest;
}

/**
 * Removes what RFC 7643 §2.5 calls unassigned, deeply: nulls and empty arrays ("assigning ... an
 * empty array ... has the effect of making the attribute unassigned"), and complex values or
 * elements left with no sub-attribute at all. A stored resource never holds `"emails": []` or
 * `"name": {}`, so GET omits the attribute.
 */
export function stripUnassigned(value: Json): Json {
  return (assigned(value) ?? {}) as Json;
}

function assigned(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(assigned).filter((v) => v !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    const kept = assigned(item);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * A User body as scimmy should see it: nulls stripped, booleans fixed, schemas fixed, read-only
 * and write-only attributes the IdP may echo removed (id, meta, groups, password, our sync extension).
 * The password is never stored: the bridge does not sync passwords.
 */
export function normalizeUserBody(body: Json): Json {
  const cleaned = normalizeBooleans(stripUnassigned(body)) as Json;
  const user = normalizeSchemas(cleaned, 'User');
  refuseUndeclaredExtensions(user, 'User');
  for (const key of Object.keys(user)) {
    const lower = key.toLowerCase();
    if (['id', 'meta', 'groups', 'password', SYNC_SCHEMA.toLowerCase()].includes(lower)) delete user[key];
  }
  const enterprise = user[ENTERPRISE_SCHEMA];
  if (isObject(enterprise)) {
    const managerKey = Object.keys(enterprise).find((k) => k.toLowerCase() === 'manager');
    if (managerKey !== undefined) enterprise[managerKey] = normalizeManager(enterprise[managerKey]);
  }
  return user;
}

/** The schemas the bridge declares in /Schemas for each resource (lower-cased): their attributes are kept (the sync one is read-only). */
const declaredSchemas: Record<'User' | 'Group', readonly string[]> = {
  User: [USER_SCHEMA, ENTERPRISE_SCHEMA, SYNC_SCHEMA].map((urn) => urn.toLowerCase()),
  Group: [GROUP_SCHEMA.toLowerCase()],
};

/** What an administrator can do instead, per resource. */
const remedy: Record<'User' | 'Group', string> = {
  User: 'remove that attribute mapping in the IdP, or map the value to a declared attribute (an enterprise extension attribute such as costCenter or division)',
  Group: 'remove that attribute mapping in the IdP (a Group stores displayName, externalId and members)',
};

/**
 * Attributes of an extension the bridge does not declare (an Entra custom extension, say) would
 * be lost: the body is refused with `invalidValue` naming the extension, rather than stored
 * without them (RFC 7644 §3.3 lets a server refuse what it cannot store; §3.12 invalidValue).
 * A URN listed in `schemas` with no attributes carries nothing and is only dropped.
 */
function refuseUndeclaredExtensions(body: Json, resource: 'User' | 'Group'): void {
  for (const key of Object.keys(body)) refuseUndeclaredExtension(key, resource);
}

/**
 * Refuses an attribute key or PATCH path (`urn:…:User`, `urn:…:User:attr`) in an extension
 * schema the bridge does not declare for `resource`, as POST and PUT do (invalidValue naming
 * it); `where` prefixes the message (`operation 2`). Keys that are not URNs pass.
 */
export function refuseUndeclaredExtension(key: string, resource: 'User' | 'Group', where?: string): void {
  const lower = key.toLowerCase();
  if (!lower.startsWith('urn:')) return;
  if (declaredSchemas[resource].some((urn) => lower === urn || lower.startsWith(`${urn}:`))) return;
  const shown = key.slice(0, 200);
  throw new BridgeError(
    'INVALID_VALUE',
    `${where === undefined ? '' : `${where}: `}the extension schema ${shown} is not one this bridge declares for ${resource}s (GET /Schemas lists those it stores), so its attributes would be lost and nothing was stored: ${remedy[resource]}`,
    { details: { schema: shown } },
  );
}

/** A Group body as scimmy should see it: unassigned values stripped, schemas fixed, id and meta removed. */
export function normalizeGroupBody(body: Json): Json {
  const group = normalizeSchemas(stripUnassigned(body), 'Group');
  refuseUndeclaredExtensions(group, 'Group');
  for (const key of Object.keys(group)) if (['id', 'meta'].includes(key.toLowerCase())) delete group[key];
  return group;
}

/** A PatchOp operation after normalisation: lowercase op, trimmed path. */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path?: string;
  value?: unknown;
}

/** Validates the PatchOp envelope (RFC 7644 §3.5.2) and normalises each operation's op and value. */
export function normalizePatchOperations(body: unknown): PatchOperation[] | string {
  if (!isObject(body)) return 'a PatchOp body must be a JSON object';
  const operationsKey = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const operations = operationsKey === undefined ? undefined : body[operationsKey];
  if (!Array.isArray(operations) || operations.length === 0) return 'a PatchOp needs a non-empty "Operations" array';
  const out: PatchOperation[] = [];
  for (const [index, raw] of operations.entries()) {
    if (!isObject(raw)) return `operation ${index + 1} must be an object`;
    const field = (name: string): unknown => raw[Object.keys(raw).find((k) => k.toLowerCase() === name) ?? name];
    const op = field('op');
    const path = field('path');
    if (typeof op !== 'string' || !['add', 'remove', 'replace'].includes(op.toLowerCase())) return `operation ${index + 1} has an unknown op "${String(op)}"`;
    if (path !== undefined && path !== null && typeof path !== 'string') return `operation ${index + 1} has a path that is not a string`;
    const value = stripNulls(field('value'));
    const trimmed = typeof path === 'string' && path.trim() !== '' ? path.trim() : undefined;
    out.push({ op: op.toLowerCase() as PatchOperation['op'], ...(trimmed ? { path: trimmed } : {}), ...(value !== undefined ? { value: normalizeBooleans(value, trimmed ?? '') } : {}) });
  }
  return out;
}
