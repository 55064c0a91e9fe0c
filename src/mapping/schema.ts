import { z } from 'zod';
import { formatRoleUids, type ConnectorType } from '../connectors/types.js';
import { parseAttributePath, type AttributePath } from './paths.js';
import { canonicalRole, parsePolicy, targetLabels, type Checked, type MappingTarget } from './roles.js';

/**
 * The mapping file schema (`mappings/<type>.yaml`). The shape is public: extend it, never rename.
 * Built per target (its type and the role model the caller hands in): roles and policies are
 * checked against that target's capabilities and normalised to its spelling, so the evaluator
 * can trust every value.
 */

/** What `active: false` and a SCIM DELETE do when the file does not say (docs/architecture.md, "Deactivation, per target"). */
export const defaultDeprovision: Record<ConnectorType, { deactivate: string; delete: string }> = {
  'redis-cloud': { deactivate: 'delete', delete: 'delete' },
  'redis-enterprise': { deactivate: 'role:none', delete: 'delete' },
  yardstik: { deactivate: 'delete', delete: 'delete' },
  paradime: { deactivate: 'disable', delete: 'disable' },
};

/** Where each profile field comes from when the file does not say: first non-empty value wins. */
export const defaultAttributes = {
  email: ['emails[primary eq true].value', 'emails[type eq "work"].value', 'emails.value', 'userName'],
  name: ['displayName', 'name.formatted'],
  givenName: ['name.givenName'],
  familyName: ['name.familyName'],
} as const;

/** Turns a {@link Checked} result into a zod transform: the value, or an issue at this field. */
function checked<In, Out>(check: (input: In) => Checked<Out>) {
  return (input: In, ctx: z.RefinementCtx): Out => {
    const result = check(input);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message, input });
    return z.NEVER;
  };
}

const scalar = (what: string) =>
  z
    .union([z.string(), z.number(), z.boolean()], { error: `expected ${what}` })
    .transform((v) => String(v).trim())
    .refine((v) => v !== '', { error: `expected ${what}` });

const pathSchema = z.string({ error: 'expected a SCIM attribute path' }).transform(checked(parseAttributePath));

const pathListSchema = z
  .union([z.string(), z.array(z.string())], { error: 'expected a SCIM attribute path or a list of them' })
  .transform((v) => (typeof v === 'string' ? [v] : v))
  .pipe(z.array(pathSchema).min(1, { error: 'give at least one SCIM attribute path' }));

const roleUidsList = z.array(z.number({ error: 'expected role uids (integers)' }).int().nonnegative(), { error: 'expected a list of role uids, like [1, 4]' });

/** A role: a name, `role_uids:[1,4]`, or `{ role_uids: [1, 4] }`; `none` means no account. */
function roleSchema(target: MappingTarget) {
  return z
    .union([z.string(), z.object({ role_uids: roleUidsList }).strict()], {
      error: (iss) => (iss.input === undefined ? 'required: the role for users no rule matches (none: no account)' : 'expected a role name (or role_uids: [1, 4])'),
    })
    .transform((v) => (typeof v === 'string' ? v : formatRoleUids(v.role_uids)))
    .transform(checked((v: string) => canonicalRole(target, v, true)));
}

/** One rule: a group or an attribute test and the role it gives, or the roles the IdP assigned. */
function ruleSchema(target: MappingTarget) {
  return z
    .object({
      assigned: z.enum(assignedSources, { error: 'expected assigned: roles or assigned: entitlements' }).optional(),
      group: scalar('a group displayName, id or externalId').optional(),
      attribute: pathSchema.optional(),
      equals: z
        .union([scalar('a string'), z.array(scalar('a string')).min(1, { error: 'give at least one value' })], { error: 'expected a string or a list of strings' })
        .transform((v) => (Array.isArray(v) ? v : [v]))
        .optional(),
      role: roleSchema(target).optional(),
      // Redis Enterprise: `role_uids: [1, 4]` in place of `role` (the YAML list form).
      role_uids: roleUidsList.transform(checked((uids: number[]) => canonicalRole(target, formatRoleUids(uids), false))).optional(),
    })
    .strict()
    .superRefine((rule, ctx) => (rule.assigned !== undefined ? checkAssignedRule(target, rule, ctx) : checkRuleShape(rule, ctx)), { when: () => true })
    .transform(({ assigned, group, attribute, equals, role, role_uids }): MappingRule => {
      if (assigned !== undefined) return { kind: 'assigned', source: assigned };
      // Only reached without issues, so checkRuleShape held: one of role/role_uids, attribute when no group.
      const given = (role ?? role_uids) as string;
      return group !== undefined ? { kind: 'group', group, role: given } : { kind: 'attribute', attribute: attribute as AttributePath, equals: equals ?? [], role: given };
    });
}

/** Exactly one of group or attribute; equals with attribute only; exactly one of role or role_uids. Runs even when a field failed, to report everything. */
function checkRuleShape(rule: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const has = (key: string): boolean => rule[key] !== undefined;
  const issue = (message: string, path: string[] = []): void => ctx.addIssue({ code: 'custom', message, path, input: rule });
  if (has('group') && has('attribute')) issue('a rule matches either a group or an attribute, not both');
  if (!has('group') && !has('attribute')) issue('a rule needs group or attribute');
  if (has('attribute') && !has('equals')) issue('attribute needs equals: a string or a list of strings');
  if (has('equals') && !has('attribute')) issue('equals goes with attribute', ['equals']);
  if (has('role') && has('role_uids')) issue('give role or role_uids, not both', ['role_uids']);
  if (!has('role') && !has('role_uids')) issue('a rule needs a role');
}

/**
 * `assigned: roles`: the role the IdP assigned in the user's `roles[].value` (Okta Identity
 * Governance, Entra app roles), when it names a role of the target; nothing else goes with it.
 * The target must publish roles (`/Roles`); which roles is checked when users are evaluated, since
 * a live catalog changes.
 */
function checkAssignedRule(target: MappingTarget, rule: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const extra = ['group', 'attribute', 'equals', 'role', 'role_uids'].filter((key) => rule[key] !== undefined);
  if (extra.length > 0) {
    ctx.addIssue({ code: 'custom', message: `assigned takes the role the IdP assigned: remove ${extra.join(', ')}`, path: [extra[0] as string], input: rule });
  }
  if (target.capabilities.roleCatalog === undefined) {
    ctx.addIssue({ code: 'custom', message: `${targetLabels[target.type]} has no roles an IdP can assign: use group or attribute rules`, path: ['assigned'], input: rule });
  }
}

/** Where `assigned` rules read the IdP's choice: the user's `roles` or `entitlements` (RFC 7643 §4.1.2). */
export const assignedSources = ['roles', 'entitlements'] as const;

/** A parsed rule; `role` is canonical, or `none` for no account. */
export type MappingRule =
  | { kind: 'group'; group: string; role: string }
  | { kind: 'attribute'; attribute: AttributePath; equals: string[]; role: string }
  | { kind: 'assigned'; source: (typeof assignedSources)[number] };

function policySchema(target: MappingTarget, key: 'deactivate' | 'delete') {
  return z
    .string({ error: 'expected delete, disable, keep or role:<role>' })
    .transform(checked((v: string) => parsePolicy(target, v)))
    .prefault(defaultDeprovision[target.type][key]);
}

const pathsWithDefault = (paths: readonly string[]) => pathListSchema.prefault([...paths]);

/** Whether a value is shaped like an email address (something@something, no spaces). */
export const isEmailAddress = (value: string): boolean => /^[^\s@]+@[^\s@]+$/.test(value.trim());

const emailSchema = z
  .string({ error: 'expected an email address' })
  .refine(isEmailAddress, { error: 'expected an email address' })
  .transform((v) => v.trim().toLowerCase());

/** The schema of a mapping file for a connection to `target` (its type and role model). */
export function mappingSchema(target: MappingTarget) {
  const { type } = target;
  return z
    .object({
      type: z
        .string({ error: `expected type: ${type} (the connection's type)` })
        .refine((v) => v === type, { error: (iss) => `"${String(iss.input)}" does not match the connection's type "${type}"` })
        .transform(() => type),
      roles: z
        .object({
          default: roleSchema(target),
          rules: z.array(ruleSchema(target), { error: 'expected a list of rules' }).default([]),
        }, { error: (iss) => (iss.input === undefined ? 'required: roles.default, the role for users no rule matches' : 'expected roles: { default, rules }') })
        .strict(),
      deactivate: policySchema(target, 'deactivate'),
      delete: policySchema(target, 'delete'),
      // Target accounts no SCIM user stands behind: only reported (default), or removed through the guard.
      unmanaged: z.enum(['report', 'remove'], { error: 'expected report or remove' }).default('report'),
      protected: z
        .object({ emails: z.array(emailSchema, { error: 'expected a list of email addresses' }).default([]) })
        .strict()
        .prefault({}),
      attributes: z
        .object({
          email: pathsWithDefault(defaultAttributes.email),
          name: pathsWithDefault(defaultAttributes.name),
          givenName: pathsWithDefault(defaultAttributes.givenName),
          familyName: pathsWithDefault(defaultAttributes.familyName),
        })
        .strict()
        .prefault({}),
    }, { error: 'expected a mapping: type, roles, ...' })
    .strict();
}

/** A parsed, normalised mapping file. */
export type Mapping = z.infer<ReturnType<typeof mappingSchema>>;
