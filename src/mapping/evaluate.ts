import { valuesAt, type AttributePath } from './paths.js';
import { formatPolicy, noAccount } from './roles.js';
import { isEmailAddress, type Mapping, type MappingRule } from './schema.js';
import type { Decision, DeprovisionPolicy, DesiredProfile, MappingInput, MatchedRule, UserGroup } from './types.js';

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
export function evaluateMapping(mapping: Mapping, input: MappingInput): Decision {
  // userName is part of the SCIM body; the directory may keep it beside the attributes.
  const attributes = { userName: input.userName, ...input.attributes };
  const profile = resolveProfile(mapping, attributes);
  const isProtectedBy = protectedEmail(mapping, attributes, profile);
  if (isProtectedBy !== undefined) return { kind: 'protected', profile, rule: null, reason: `protected: ${isProtectedBy} is listed in protected.emails` };
  if (profile === null) return { kind: 'keep', profile: null, rule: null, reason: noEmailReason };
  if (input.isDeleted) return applyPolicy(mapping.delete, 'delete', profile);
  if (!input.active) return applyPolicy(mapping.deactivate, 'deactivate', profile);
  const { rule, role } = matchRole(mapping, attributes, input.groups);
  const reason = `${rule.description} → ${role === noAccount ? 'none (no account)' : role}`;
  if (role === noAccount) return { kind: 'absent', profile, rule, reason };
  return { kind: 'present', role, profile, rule, reason };
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

function matchRole(mapping: Mapping, attributes: Record<string, unknown>, groups: readonly UserGroup[]): { rule: MatchedRule; role: string } {
  for (const [index, rule] of mapping.roles.rules.entries()) {
    const description = matchRule(rule, attributes, groups);
    if (description !== null) return { rule: { index, description }, role: rule.role };
  }
  return { rule: { index: null, description: 'default' }, role: mapping.roles.default };
}

/** The rule's description when it matches the user, else null. */
function matchRule(rule: MappingRule, attributes: Record<string, unknown>, groups: readonly UserGroup[]): string | null {
  if (rule.kind === 'group') {
    const wanted = rule.group.toLowerCase();
    const isMember = groups.some((g) => g.displayName.toLowerCase() === wanted || g.id === rule.group || g.externalId === rule.group);
    return isMember ? `group "${rule.group}"` : null;
  }
  const values = new Set(valuesAt(attributes, rule.attribute).map((v) => v.trim().toLowerCase()));
  const hit = rule.equals.find((e) => values.has(e.toLowerCase()));
  return hit === undefined ? null : `${rule.attribute.text} equals "${hit}"`;
}
