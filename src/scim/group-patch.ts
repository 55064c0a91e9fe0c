import { BridgeError } from '../errors.js';
import { matches, type Filter } from '../filter/index.js';
import { parsePatchPath } from './grammar.js';
import type { GroupChange } from '../directory/model.js';
import type { PatchOperation } from './quirks.js';
import { memberIds } from './resources.js';
import { isJsonObject as isObject, type JsonObject as Json } from './json.js';

/**
 * Group PATCH as membership deltas (never read-all, modify, write-all): the operations fold into
 * one {@link GroupChange} the store applies in one transaction. Handles Okta's rename-with-id,
 * `members[value eq "..."]` removals, Entra's `Remove` with a value array, and full replaces.
 */


interface Fold {
  change: GroupChange;
  replace?: Set<string>;
  add: Set<string>;
  remove: Set<string>;
  removeWhere?: Filter;
}

/** Folds the operations, in order, into one change. */
export function groupChangeFromPatch(operations: readonly PatchOperation[]): GroupChange {
  const fold: Fold = { change: {}, add: new Set(), remove: new Set() };
  operations.forEach((operation, index) => applyOperation(fold, operation, `operation ${index + 1}`));
  const change = { ...fold.change };
  if (fold.replace) change.replaceMembers = [...fold.replace];
  if (fold.add.size > 0) change.addMembers = [...fold.add];
  if (fold.remove.size > 0) change.removeMembers = [...fold.remove];
  if (fold.removeWhere) change.removeMembersWhere = fold.removeWhere;
  return change;
}

function applyOperation(fold: Fold, operation: PatchOperation, where: string): void {
  if (operation.path === undefined) {
    if (operation.op === 'remove') throw new BridgeError('NO_TARGET', `${where}: remove needs a path`);
    if (!isObject(operation.value)) throw new BridgeError('INVALID_VALUE', `${where}: without a path, value must be an object`);
    for (const [key, value] of Object.entries(operation.value)) applyAttribute(fold, operation.op, key, value, where);
    return;
  }
  const parsed = parsePatchPath(operation.path);
  const attr = parsed.path.attr.toLowerCase();
  if (attr === 'members' && parsed.filter) {
    if (operation.op !== 'remove' || parsed.sub !== undefined || parsed.path.sub !== undefined) {
      throw new BridgeError('INVALID_PATH', `${where}: only "remove" is supported on a filtered members path`);
    }
    removeWhere(fold, parsed.filter);
    return;
  }
  if (parsed.filter || parsed.path.sub !== undefined) throw new BridgeError('INVALID_PATH', `${where}: unsupported path "${operation.path}"`);
  if (operation.op === 'remove') removeAttribute(fold, parsed.path.attr, operation.value, where);
  else applyAttribute(fold, operation.op, parsed.path.attr, operation.value, where);
}

function applyAttribute(fold: Fold, op: 'add' | 'replace' | 'remove', key: string, value: unknown, where: string): void {
  switch (key.toLowerCase()) {
    case 'id':
    case 'schemas':
    case 'meta':
      return; // Okta's rename PATCH echoes the id (sheet §5.3): read-only, ignored.
    case 'displayname':
      if (typeof value !== 'string' || value.trim() === '') throw new BridgeError('INVALID_VALUE', `${where}: displayName must be a non-empty string`);
      fold.change.displayName = value;
      return;
    case 'externalid':
      if (typeof value !== 'string') throw new BridgeError('INVALID_VALUE', `${where}: externalId must be a string`);
      fold.change.externalId = value === '' ? null : value;
      return;
    case 'members':
      if (op === 'replace') replaceMembers(fold, memberIds(value));
      else for (const id of memberIds(value)) addMember(fold, id);
      return;
    default:
      throw new BridgeError('INVALID_PATH', `${where}: Groups have displayName, externalId and members; "${key}" is not supported`);
  }
}

function removeAttribute(fold: Fold, key: string, value: unknown, where: string): void {
  switch (key.toLowerCase()) {
    case 'members':
      // Entra without aadOptscim062020 names the members to remove in `value` (sheet §6.4).
      if (value === undefined) replaceMembers(fold, []);
      else for (const id of memberIds(value)) removeMember(fold, id);
      return;
    case 'externalid':
      fold.change.externalId = null;
      return;
    case 'displayname':
      throw new BridgeError('MUTABILITY', `${where}: displayName is required and cannot be removed`);
    default:
      throw new BridgeError('INVALID_PATH', `${where}: "${key}" cannot be removed from a Group`);
  }
}

function replaceMembers(fold: Fold, ids: readonly string[]): void {
  fold.replace = new Set(ids);
  fold.add.clear();
  fold.remove.clear();
  delete fold.removeWhere;
}

function addMember(fold: Fold, id: string): void {
  if (fold.replace) fold.replace.add(id);
  else {
    fold.add.add(id);
    fold.remove.delete(id);
  }
}

function removeMember(fold: Fold, id: string): void {
  if (fold.replace) fold.replace.delete(id);
  else {
    fold.remove.add(id);
    fold.add.delete(id);
  }
}

/** `members[value eq "a" or value eq "b"]` becomes explicit ids; other filters go to the store. */
function removeWhere(fold: Fold, filter: Filter): void {
  const ids = idsOf(filter);
  if (ids) {
    for (const id of ids) removeMember(fold, id);
  } else if (fold.replace) {
    for (const id of [...fold.replace]) if (matches(filter, { value: id })) fold.replace.delete(id);
  } else {
    fold.removeWhere = fold.removeWhere ? { kind: 'or', left: fold.removeWhere, right: filter } : filter;
  }
}

function idsOf(filter: Filter): string[] | null {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.attr.toLowerCase() === 'value' && filter.path.sub === undefined && typeof filter.value === 'string') {
    return [filter.value];
  }
  if (filter.kind === 'or') {
    const left = idsOf(filter.left);
    const right = idsOf(filter.right);
    return left && right ? [...left, ...right] : null;
  }
  return null;
}
