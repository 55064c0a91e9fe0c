import { valuesAt, type AttributePath } from './paths.js';
import { formatPolicy, noAccount } from './roles.js';
import { isEmailAddress, type Mapping, type MappingRule } from './schema.js';
import { formatRoleUids, parseRoleUids } from '../connectors/types.js';
import type { AssignableRoles, Decision, DeprovisionPolicy, DesiredProfile, MappingInput, MatchedRule, UserGroup } from './types.js';

/**
 * The mapping evaluator: one SCIM user (attributes and groups) to the account it should have in
 * one target. Pure: no I/O, no clock, the same input always gives the same decision.
 */

/** The reason given when no email can be resolved: nothing is touched until the mapping or the user is fixed. */
export const noEmailReason = 'no email: check attributes.email in the mapping';

/**
 * Decides what the target should hold for one user. Order: a protected email (whatever else),
 * no resolvable email (`keep`), a deleted user (the `delete` policy), an inactive user (the
 * `deactivate` policy), the first matching rule, the default; a role `none` gives `absent`.
 */
export function evaluateMapping(mapping: Mapping, input: MappingInput, assignable: AssignableRoles = []): Decision {
  // userName is part of the SCIM body; the directory may keep it beside the attributes.
  const attributes = { userName: input.userName, ...input.attributes };
  const profile = resolveProfile(mapping, attributes);
  const isProtectedBy = protectedEmail(mapping, attributes, profile);
  if (isProtectedBy !== undefined) return { kind: 'protected', profile, rule: null, reason: `protected: ${isProtectedBy} is listed in protected.emails` };
  if (profile === null) return { kind: 'keep', profile: null, rule: null, reason: noEmailReason };
  if (input.isDeleted) return applyPolicy(mapping.delete, 'delete', profile);
  if (!input.active) return applyPolicy(mapping.deactivate, 'deactivate', profile);
  const assigned = assignedRoles(mapping, attributes, assignable);
  const { rule, role } = matchRole(mapping, attributes, input.groups, assigned);
  const reason = `${rule.description} → ${role === noAccount ? 'none (no account)' : role}`;
  const warnings = [...assigned.values()].flatMap((a) => a.warnings);
  const extra = warnings.length > 0 ? { warnings } : {};
  if (role === noAccount) return { kind: 'absent', profile, rule, reason, ...extra };
  return { kind: 'present', role, profile, rule, reason, ...extra };
}

/**
 * The profile the target account should have: for each field the first non-empty value of its
 * paths in `attributes.*` (the email must contain "@"); null when no email can be resolved.
 */
export function resolveProfile(mapping: Pick<Mapping, 'attributes'>, attributes: Record<string, unknown>): DesiredProfile | null {
  const paths = mapping.attributes;
  const email = firstValue(attributes, paths.email, isEmailAddress);
  if (email === null) return null;
  return {
    email,
    name: firstValue(attributes, paths.name),
    givenName: firstValue(attributes, paths.givenName),
    familyName: firstValue(attributes, paths.familyName),
  };
}

function firstValue(attributes: Record<string, unknown>, paths: readonly AttributePath[], isAcceptable: (v: string) => boolean = () => true): string | null {
  for (const ref of paths) {
    const found = valuesAt(attributes, ref)
      .map((v) => v.trim())
      .find((v) => v !== '' && isAcceptable(v));
    if (found !== undefined) return found;
  }
  return null;
}

// Protection looks at every address the user carries, not only the resolved one: a protected
// account must not be touched because a mapping chose another of its emails (docs/architecture.md, promise 5).
function protectedEmail(mapping: Mapping, attributes: Record<string, unknown>, profile: DesiredProfile | null): string | undefined {
  if (mapping.protected.emails.length === 0) return undefined;
  const listed = new Set(mapping.protected.emails);
  const emails = Array.isArray(attributes.emails) ? attributes.emails : [];
  const candidates = [profile?.email, attributes.userName, ...emails.map((e: unknown) => (e !== null && typeof e === 'object' ? (e as { value?: unknown }).value : e))];
  return candidates.filter((c): c is string => typeof c === 'string').find((c) => listed.has(c.trim().toLowerCase()));
}

function applyPolicy(policy: DeprovisionPolicy, key: 'deactivate' | 'delete', profile: DesiredProfile): Decision {
  const setting = `${key}=${formatPolicy(policy)}`;
  const reason = `${key === 'delete' ? 'deleted' : 'deactivated'}: ${setting}`;
  switch (policy.kind) {
    case 'delete':
      return { kind: 'absent', profile, rule: null, reason };
    case 'disable':
      return { kind: 'disabled', profile, rule: null, reason };
    case 'keep':
      return { kind: 'keep', profile, rule: null, reason };
    case 'role':
      return { kind: 'present', role: policy.role, profile, rule: { index: null, description: setting }, reason };
  }
}

type AssignedSource = Extract<MappingRule, { kind: 'assigned' }>['source'];

/** What the IdP assigned in one source (`roles`, `entitlements`): the role it gives, if any, and what was ignored. */
interface Assigned {
  role: string | null;
  warnings: string[];
}

function matchRole(mapping: Mapping, attributes: Record<string, unknown>, groups: readonly UserGroup[], assigned: ReadonlyMap<AssignedSource, Assigned>): { rule: MatchedRule; role: string } {
  for (const [index, rule] of mapping.roles.rules.entries()) {
    if (rule.kind === 'assigned') {
      const role = assigned.get(rule.source)?.role ?? null;
      if (role !== null) return { rule: { index, description: `${rule.source} assigned in the IdP: "${role}"`, isAssigned: true }, role };
      continue;
    }
    const description = matchRule(rule, attributes, groups);
    if (description !== null) return { rule: { index, description }, role: rule.role };
  }
  return { rule: { index: null, description: 'default' }, role: mapping.roles.default };
}

/** For every source an `assigned` rule reads: the role the IdP assigned there, and the values the target has no role for. */
function assignedRoles(mapping: Mapping, attributes: Record<string, unknown>, assignable: AssignableRoles): Map<AssignedSource, Assigned> {
  const result = new Map<AssignedSource, Assigned>();
  const rank = new Map(assignable.map((id, index) => [roleKey(id), { id, index }]));
  for (const rule of mapping.roles.rules) {
    if (rule.kind !== 'assigned' || result.has(rule.source)) continue;
    const values = assignedValues(attributes, rule.source);
    const known = values.flatMap((v) => {
      const found = rank.get(roleKey(v.value));
      return found ? [{ ...found, primary: v.primary }] : [];
    });
    const unknown = [...new Set(values.filter((v) => !rank.has(roleKey(v.value))).map((v) => v.value))];
    // The primary one first (RFC 7643 §2.4), else the highest in the target's order.
    const chosen = known.find((k) => k.primary) ?? [...known].sort((a, b) => a.index - b.index)[0];
    result.set(rule.source, {
      role: chosen?.id ?? null,
      warnings: unknown.map((value) => `${rule.source}: "${value.slice(0, 200)}" is not a role of this target (see /Roles); ignored`),
    });
  }
  return result;
}

/** How role ids compare: case-insensitively, `role_uids:[4, 1]` as `role_uids:[1,4]`. */
function roleKey(id: string): string {
  const uids = parseRoleUids(id);
  return (uids ? formatRoleUids([...new Set(uids)]) : id.trim()).toLowerCase();
}

/**
 * The values of `roles` (or `entitlements`): each element's `value` and whether it is primary.
 * Entra's SingleAppRoleAssignment sends the value as stringified JSON (`{"id":…,"value":"Admin",
 * "displayName":…}`, Microsoft Learn, provisioning a role to a SCIM app): its `value` is the role.
 */
function assignedValues(attributes: Record<string, unknown>, source: AssignedSource): { value: string; primary: boolean }[] {
  const key = Object.keys(attributes).find((k) => k.toLowerCase() === source);
  const raw = key === undefined ? [] : attributes[key];
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return list.flatMap((element) => {
    const item: Record<string, unknown> = element !== null && typeof element === 'object' ? (element as Record<string, unknown>) : { value: element };
    const primary = item.primary === true || (typeof item.primary === 'string' && item.primary.toLowerCase() === 'true');
    const value = unwrapStringified(item.value);
    return value === null || value.trim() === '' ? [] : [{ value: value.trim(), primary }];
  });
}

function unwrapStringified(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return text;
  try {
    const inner = (JSON.parse(text) as Record<string, unknown> | null)?.value;
    return typeof inner === 'string' || typeof inner === 'number' ? String(inner) : text;
  } catch {
    return text;
  }
}

/** The rule's description when it matches the user, else null. */
function matchRule(rule: Exclude<MappingRule, { kind: 'assigned' }>, attributes: Record<string, unknown>, groups: readonly UserGroup[]): string | null {
  if (rule.kind === 'group') {
    const wanted = rule.group.toLowerCase();
    const isMember = groups.some((g) => g.displayName.toLowerCase() === wanted || g.id === rule.group || g.externalId === rule.group);
    return isMember ? `group "${rule.group}"` : null;
  }
  const values = new Set(valuesAt(attributes, rule.attribute).map((v) => v.trim().toLowerCase()));
  const hit = rule.equals.find((e) => values.has(e.toLowerCase()));
  return hit === undefined ? null : `${rule.attribute.text} equals "${hit}"`;
}
