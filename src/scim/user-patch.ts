import { isDeepStrictEqual } from 'node:util';
import SCIMMY from 'scimmy';
import { BridgeError } from '../errors.js';
import { matches, type Filter } from '../filter/index.js';
import { parsePatchPath } from './grammar.js';
import { normalizeManager, refuseUndeclaredExtension, type PatchOperation } from './quirks.js';
import { ENTERPRISE_SCHEMA, PATCH_OP, SYNC_SCHEMA, USER_SCHEMA, readOnlyUserPaths, scimmyError, userSchemaClass } from './schemas.js';
import { isJsonObject as isObject, type JsonObject as Json } from './json.js';

/**
 * User PATCH (RFC 7644 §3.5.2) on top of scimmy's PatchOp, one operation at a time and in order,
 * after the IdP quirks are normalised. Returns the patched attributes, or null when nothing changed.
 */

/** Top-level keys a path-less value may carry that the bridge ignores rather than refuses. */
const ignoredKeys = new Set(['id', 'meta', 'groups', 'schemas', 'password']);

/** One prepared operation: for scimmy, or applied here (the whole extension removed, an extension sub-attribute set). */
type Step = { kind: 'scimmy'; operation: PatchOperation } | { kind: 'direct'; apply: (current: Json) => Json };

/** Applies the operations to a stored user (`attributes` plus `id`); null when nothing changed. */
export async function applyUserPatch(id: string, attributes: Json, operations: readonly PatchOperation[]): Promise<Json | null> {
  const meta = { resourceType: 'User', created: new Date(0).toISOString(), lastModified: new Date(0).toISOString() };
  let current: Json = { ...attributes, id, meta };
  for (const [index, raw] of operations.entries()) {
    for (const step of prepare(raw, current, index)) {
      const next = step.kind === 'direct' ? step.apply(current) : await applyOne(current, step.operation, `operation ${index + 1}`);
      if (next) current = next;
    }
  }
  const { id: _id, meta: _meta, ...rest } = current;
  return isDeepStrictEqual(rest, attributes) ? null : rest;
}

async function applyOne(current: Json, operation: PatchOperation, where: string): Promise<Json | null> {
  const User = userSchemaClass();
  try {
    const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH_OP], Operations: [operation] });
    const result = await message.apply(new User(current, 'out'));
    return result ? (JSON.parse(JSON.stringify(result)) as Json) : null;
  } catch (err) {
    throw scimmyError(err, where);
  }
}

const scimmy = (operation: PatchOperation): Step => ({ kind: 'scimmy', operation });
const lower = (text: string): string => text.toLowerCase();

// The manager is one reference: a new one replaces `value` and `$ref` together, so a `$ref` of
// the previous manager never stays beside the new `value` (Entra sends `"$ref": null`).
const dropManager = scimmy({ op: 'remove', path: `${ENTERPRISE_SCHEMA}:manager` });
const hasKey = (value: unknown, name: string): boolean => isObject(value) && Object.keys(value).some((k) => lower(k) === name);

/** Normalises one operation against the current state into the steps that apply it; none for a no-op. */
function prepare(operation: PatchOperation, current: Json, index: number): Step[] {
  const where = `operation ${index + 1}`;
  if (operation.path === undefined) {
    if (operation.op === 'remove') throw new BridgeError('NO_TARGET', `${where}: remove needs a path`);
    if (!isObject(operation.value)) throw new BridgeError('INVALID_VALUE', `${where}: without a path, value must be an object`);
    // RFC 7644 §3.5.2.1, §3.5.2.3: without a path the value lists attributes, each added or
    // replaced as if it were the path; scimmy would append to a multi-valued one on replace.
    return Object.entries(operation.value)
      .filter(([key]) => !isIgnored(key))
      .flatMap(([key, item]) => prepare({ op: operation.op, path: key, value: item }, current, index));
  }
  const path = lower(operation.path);
  // RFC 7644 §3.5.2: an operation that does not fit the attribute's mutability answers `mutability`.
  if (path === lower(SYNC_SCHEMA) || path.startsWith(`${lower(SYNC_SCHEMA)}:`)) {
    throw new BridgeError('MUTABILITY', `${where}: "${SYNC_SCHEMA}" is what the bridge did in the target: read-only`);
  }
  // As on POST and PUT: what an undeclared extension carries would be lost, so nothing is stored.
  refuseUndeclaredExtension(operation.path, 'User', where);
  if (path === lower(ENTERPRISE_SCHEMA)) return wholeExtension(operation, where);
  // The bridge does not sync passwords (changePassword is not supported): a password write is ignored, as on POST and PUT.
  if (path === 'password' || path === `${lower(USER_SCHEMA)}:password`) return [];
  const parsed = parsePatchPath(operation.path);
  const isCore = parsed.path.schema === undefined || lower(parsed.path.schema) === lower(USER_SCHEMA);
  const named = `${isCore ? '' : `${lower(parsed.path.schema as string)}:`}${lower(parsed.path.attr)}`;
  const sub = parsed.sub ?? parsed.path.sub;
  const readOnly = readOnlyUserPaths();
  if (readOnly.has(named) || (sub !== undefined && readOnly.has(`${named}.${lower(sub)}`))) {
    throw new BridgeError('MUTABILITY', `${where}: "${operation.path.slice(0, 200)}" is read-only (see /Schemas)`);
  }
  if (!isCore && lower(parsed.path.schema as string) === lower(ENTERPRISE_SCHEMA) && parsed.path.sub !== undefined && !parsed.filter) {
    return [extensionSub(operation, parsed.path.attr, parsed.path.sub, where)];
  }
  const isManager = lower(parsed.path.attr) === 'manager' && parsed.path.sub === undefined;
  const value = isManager && operation.op !== 'remove' ? normalizeManager(operation.value) : operation.value;
  if (operation.op !== 'remove' && value === undefined) throw new BridgeError('INVALID_VALUE', `${where}: ${operation.op} needs a value`);
  if (parsed.filter && parsed.sub && operation.op !== 'remove' && !anyMatch(current, parsed.path.attr, parsed.filter)) {
    // Entra replaces emails[type eq "work"].value on a user that has no work email yet
    // (Microsoft Learn, SCIM endpoint tutorial): RFC 7644 would answer noTarget; we add the
    // element the filter describes.
    const element = elementFromFilter(parsed.filter);
    if (element) return [scimmy({ op: 'add', path: parsed.path.attr, value: [{ ...element, [parsed.sub]: value }] })];
  }
  const step = scimmy({ op: operation.op, path: operation.path, ...(value !== undefined ? { value } : {}) });
  return isManager && operation.op !== 'remove' ? [dropManager, step] : [step];
}

/**
 * The enterprise extension as a whole (RFC 7644 §3.5.2: the path is its schema URN). `remove`
 * unassigns every attribute of it; `add` and `replace` set the sub-attributes given and leave
 * the others (§3.5.2.1, §3.5.2.3 for complex values).
 */
function wholeExtension(operation: PatchOperation, where: string): Step[] {
  if (operation.op === 'remove') return [{ kind: 'direct', apply: withoutEnterprise }];
  if (!isObject(operation.value)) {
    throw new BridgeError('INVALID_VALUE', `${where}: the value of "${ENTERPRISE_SCHEMA}" must be an object of its attributes`);
  }
  const step = scimmy({ op: operation.op, value: { [ENTERPRISE_SCHEMA]: extensionValue(operation.value) } });
  return hasKey(operation.value, 'manager') ? [dropManager, step] : [step];
}

/**
 * A sub-attribute of a complex extension attribute (`urn:...:User:manager.value`), applied here:
 * scimmy answers noTarget to an add or replace of it, and trips over a removal when the complex
 * value is absent. The whole resource is validated by scimmy afterwards, as every PATCH result is.
 * A new `manager.value` drops the previous manager's `$ref` with it.
 */
function extensionSub(operation: PatchOperation, attr: string, sub: string, where: string): Step {
  if (operation.op !== 'remove' && operation.value === undefined) throw new BridgeError('INVALID_VALUE', `${where}: ${operation.op} needs a value`);
  return {
    kind: 'direct',
    apply: (current) => {
      const extensionKey = keyOf(current, ENTERPRISE_SCHEMA) ?? ENTERPRISE_SCHEMA;
      const extension = isObject(current[extensionKey]) ? { ...current[extensionKey] } : {};
      const complexKey = keyOf(extension, attr) ?? attr;
      const complex = isObject(extension[complexKey]) ? { ...extension[complexKey] } : {};
      const subKey = keyOf(complex, sub) ?? sub;
      if (operation.op === 'remove') delete complex[subKey];
      else {
        complex[subKey] = operation.value;
        if (lower(attr) === 'manager' && lower(sub) === 'value') delete complex[keyOf(complex, '$ref') ?? '$ref'];
      }
      if (Object.keys(complex).length > 0) extension[complexKey] = complex;
      else delete extension[complexKey];
      const next: Json = { ...current, [extensionKey]: extension };
      if (Object.keys(extension).length === 0) return withoutEnterprise(next);
      if (Array.isArray(next.schemas) && !next.schemas.some((s) => typeof s === 'string' && lower(s) === lower(ENTERPRISE_SCHEMA))) next.schemas = [...next.schemas, ENTERPRISE_SCHEMA];
      return next;
    },
  };
}

const keyOf = (object: Json, name: string): string | undefined => Object.keys(object).find((k) => lower(k) === lower(name));

function withoutEnterprise(current: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(current)) if (lower(key) !== lower(ENTERPRISE_SCHEMA)) out[key] = value;
  if (Array.isArray(current.schemas)) out.schemas = current.schemas.filter((s) => typeof s !== 'string' || lower(s) !== lower(ENTERPRISE_SCHEMA));
  return out;
}

/** An extension object as a client may send it: a stray `schemas` key (not an attribute, RFC 7643 §3) dropped, the manager normalised. */
function extensionValue(value: Json): Json {
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    if (lower(key) === 'schemas') continue;
    out[key] = lower(key) === 'manager' ? normalizeManager(item) : item;
  }
  return out;
}

/** A key of a path-less value the bridge ignores rather than refuses: what an IdP echoes back (Okta sends `id`), the password, the sync state. */
function isIgnored(key: string): boolean {
  const name = lower(key);
  return ignoredKeys.has(name) || name === lower(SYNC_SCHEMA) || name.startsWith(`${lower(SYNC_SCHEMA)}:`);
}

function anyMatch(current: Json, attr: string, filter: Filter): boolean {
  const key = Object.keys(current).find((k) => lower(k) === lower(attr));
  const items = key === undefined ? undefined : current[key];
  return Array.isArray(items) && items.some((item) => matches(filter, item));
}

/** `type eq "work"` (or an `and` of equalities) describes the element to create. */
function elementFromFilter(filter: Filter): Json | null {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.sub === undefined && filter.value !== null) {
    return { [filter.path.attr]: filter.value };
  }
  if (filter.kind === 'and') {
    const left = elementFromFilter(filter.left);
    const right = elementFromFilter(filter.right);
    return left && right ? { ...left, ...right } : null;
  }
  return null;
}
