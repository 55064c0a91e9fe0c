import { BridgeError } from '../errors.js';
import type { Filter } from '../filter/index.js';
import type { GroupChange, MemberStep } from '../directory/model.js';
import { parsePatchPath } from './grammar.js';
import { refuseUndeclaredExtension, type PatchOperation } from './quirks.js';
import { memberIds } from './resources.js';
import { GROUP_SCHEMA } from './schemas.js';
import { isJsonObject as isObject } from './json.js';

/**
 * Group PATCH as membership deltas (never read-all, modify, write-all): the operations fold into
 * one {@link GroupChange} the store applies in one transaction, membership steps in the order the
 * operations gave them (RFC 7644 §3.5.2). Handles Okta's rename-with-id, `members[value eq "..."]`
 * removals, Entra's `Remove` with a value array, and full replaces.
 */

/** Consecutive changes by id, merged: an id is either added or removed, never both. */
interface IdBatch {
  kind: 'ids';
  add: Set<string>;
  remove: Set<string>;
}

type Pending = IdBatch | { kind: 'replace'; ids: Set<string> } | { kind: 'removeWhere'; filter: Filter };

interface Fold {
  change: GroupChange;
  steps: Pending[];
}

/** Folds the operations, in order, into one change. */
export function groupChangeFromPatch(operations: readonly PatchOperation[]): GroupChange {
  const fold: Fold = { change: {}, steps: [] };
  operations.forEach((operation, index) => applyOperation(fold, operation, `operation ${index + 1}`));
  const members = fold.steps.flatMap(toSteps);
  return { ...fold.change, ...(members.length > 0 ? { members } : {}) };
}

function toSteps(pending: Pending): MemberStep[] {
  if (pending.kind === 'replace') return [{ kind: 'replace', ids: [...pending.ids] }];
  if (pending.kind === 'removeWhere') return [pending];
  return [
    ...(pending.remove.size > 0 ? [{ kind: 'remove' as const, ids: [...pending.remove] }] : []),
    ...(pending.add.size > 0 ? [{ kind: 'add' as const, ids: [...pending.add] }] : []),
  ];
}

function applyOperation(fold: Fold, operation: PatchOperation, where: string): void {
  if (operation.path === undefined) {
    if (operation.op === 'remove') throw new BridgeError('NO_TARGET', `${where}: remove needs a path`);
    if (!isObject(operation.value)) throw new BridgeError('INVALID_VALUE', `${where}: without a path, value must be an object`);
    // As on POST and PUT, and for Users: what an undeclared extension carries would be lost, so nothing is stored.
    for (const key of Object.keys(operation.value)) refuseUndeclaredExtension(key, 'Group', where);
    for (const [key, value] of Object.entries(operation.value)) {
      // Okta's rename PATCH echoes the id (Okta SCIM 2.0 reference, Group Push): read-only, ignored without a path.
      if (['id', 'schemas', 'meta'].includes(key.toLowerCase())) continue;
      applyAttribute(fold, operation.op, key, value, where);
    }
    return;
  }
  refuseUndeclaredExtension(operation.path, 'Group', where);
  const parsed = parsePatchPath(operation.path);
  const attr = parsed.path.attr.toLowerCase();
  if (parsed.path.schema !== undefined && parsed.path.schema.toLowerCase() !== GROUP_SCHEMA.toLowerCase()) {
    throw new BridgeError('INVALID_PATH', `${where}: Groups have no extension; "${operation.path}" is not an attribute`);
  }
  // RFC 7644 §3.5.2: an operation that does not fit the attribute's mutability answers `mutability`.
  if (attr === 'id' || attr === 'meta') throw new BridgeError('MUTABILITY', `${where}: "${parsed.path.attr}" is read-only`);
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
      // Entra without aadOptscim062020 names the members to remove in `value` (Microsoft Learn, SCIM known issues).
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

/** A full replace makes every earlier membership change moot. */
function replaceMembers(fold: Fold, ids: readonly string[]): void {
  fold.steps = [{ kind: 'replace', ids: new Set(ids) }];
}

/** The step an id change joins: the last one if it is a replace or a batch of ids, else a new batch. */
function idStep(fold: Fold): IdBatch | { kind: 'replace'; ids: Set<string> } {
  const last = fold.steps[fold.steps.length - 1];
  if (last && last.kind !== 'removeWhere') return last;
  const batch: IdBatch = { kind: 'ids', add: new Set(), remove: new Set() };
  fold.steps.push(batch);
  return batch;
}

function addMember(fold: Fold, id: string): void {
  const step = idStep(fold);
  if (step.kind === 'replace') step.ids.add(id);
  else {
    step.add.add(id);
    step.remove.delete(id);
  }
}

function removeMember(fold: Fold, id: string): void {
  const step = idStep(fold);
  if (step.kind === 'replace') step.ids.delete(id);
  else {
    step.remove.add(id);
    step.add.delete(id);
  }
}

/** `members[value eq "a" or value eq "b"]` becomes explicit ids; other filters go to the store, in their place. */
function removeWhere(fold: Fold, filter: Filter): void {
  const ids = idsOf(filter);
  if (ids) for (const id of ids) removeMember(fold, id);
  else fold.steps.push({ kind: 'removeWhere', filter });
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
