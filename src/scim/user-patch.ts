import SCIMMY from 'scimmy';
import { BridgeError } from '../errors.js';
import { matches, type Filter } from '../filter/index.js';
import { parsePatchPath } from './grammar.js';
import { normalizeManager, stripNulls, type PatchOperation } from './quirks.js';
import { PATCH_OP, scimmyError, userSchemaClass } from './schemas.js';
import { isJsonObject as isObject, type JsonObject as Json } from './json.js';

/**
 * User PATCH (RFC 7644 §3.5.2) on top of scimmy's PatchOp, one operation at a time, after the
 * IdP quirks are normalised. Returns the patched attributes, or null when nothing changed.
 */

const readOnlyPaths = new Set(['id', 'meta', 'groups']);

/** Applies the operations to a stored user (`attributes` plus `id`); null when nothing changed. */
export async function applyUserPatch(id: string, attributes: Json, operations: readonly PatchOperation[]): Promise<Json | null> {
  let current: Json = { ...attributes, id, meta: { resourceType: 'User', created: new Date(0).toISOString(), lastModified: new Date(0).toISOString() } };
  let changed = false;
  for (const [index, raw] of operations.entries()) {
    const operation = prepare(raw, current, index);
    if (!operation) continue;
    const next = await applyOne(current, operation);
    if (next) {
      current = next;
      changed = true;
    }
  }
  if (!changed) return null;
  const { id: _id, meta: _meta, ...rest } = current;
  return rest;
}

async function applyOne(current: Json, operation: PatchOperation): Promise<Json | null> {
  const User = userSchemaClass();
  try {
    const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH_OP], Operations: [operation] });
    const result = await message.apply(new User(current, 'out'));
    return result ? (JSON.parse(JSON.stringify(result)) as Json) : null;
  } catch (err) {
    throw scimmyError(err);
  }
}

/** Normalises one operation against the current state; null drops a no-op. */
function prepare(operation: PatchOperation, current: Json, index: number): PatchOperation | null {
  const where = `operation ${index + 1}`;
  if (operation.path === undefined) {
    if (operation.op === 'remove') throw new BridgeError('NO_TARGET', `${where}: remove needs a path`);
    if (!isObject(operation.value)) throw new BridgeError('INVALID_VALUE', `${where}: without a path, value must be an object`);
    return { op: operation.op, value: pathlessValue(operation.value) };
  }
  const parsed = parsePatchPath(operation.path);
  if (parsed.path.schema === undefined && readOnlyPaths.has(parsed.path.attr.toLowerCase())) {
    throw new BridgeError('MUTABILITY', `${where}: "${parsed.path.attr}" is read-only`);
  }
  const isManager = parsed.path.attr.toLowerCase() === 'manager' && parsed.path.sub === undefined;
  const value = isManager && operation.op !== 'remove' ? normalizeManager(operation.value) : operation.value;
  if (operation.op !== 'remove' && value === undefined) throw new BridgeError('INVALID_VALUE', `${where}: ${operation.op} needs a value`);
  if (parsed.filter && parsed.sub && operation.op !== 'remove' && !anyMatch(current, parsed.path.attr, parsed.filter)) {
    // Entra replaces emails[type eq "work"].value on a user that has no work email yet
    // (sheet §6.3): RFC 7644 would answer noTarget; we add the element the filter describes.
    const element = elementFromFilter(parsed.filter);
    if (element) return { op: 'add', path: parsed.path.attr, value: [{ ...element, [parsed.sub]: value }] };
  }
  return { op: operation.op, path: operation.path, ...(value !== undefined ? { value } : {}) };
}

/** A path-less value: read-only keys dropped, the manager normalised (Okta sends `id` in it, sheet §5.3). */
function pathlessValue(value: Json): Json {
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    const lower = key.toLowerCase();
    if (readOnlyPaths.has(lower) || lower === 'schemas' || lower === 'password') continue;
    out[key] = lower.endsWith(':manager') ? normalizeManager(item) : item;
  }
  return stripNulls(out) as Json;
}

function anyMatch(current: Json, attr: string, filter: Filter): boolean {
  const key = Object.keys(current).find((k) => k.toLowerCase() === attr.toLowerCase());
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
