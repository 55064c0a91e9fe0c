/**
 * What the mapping layer produces: for one SCIM user, the account that should exist in a target.
 * Pure data; the evaluator that produces it does no I/O.
 */

/** A group the user belongs to, as the directory knows it. */
export interface UserGroup {
  id: string;
  displayName: string;
  externalId: string | null;
}

/** The SCIM user as the mapping sees it. `null` attributes mean the user was deleted in the IdP. */
export interface MappingInput {
  userId: string;
  userName: string;
  active: boolean;
  /** Whether the SCIM user was deleted (DELETE /Users/{id}); attributes are the last known ones. */
  isDeleted: boolean;
  /** The SCIM body (core attributes plus extensions under their URN keys). */
  attributes: Record<string, unknown>;
  groups: UserGroup[];
}

/**
 * The roles the target offers an IdP, highest first, as a mapping file spells them
 * (`Owner`, `role_uids:[17]`): what `assigned` rules accept. Read from the target's role
 * catalog by the sync layer and handed in; the evaluator never reads it itself.
 */
export type AssignableRoles = readonly string[];

/** How a rule or default was reached, for the audit log and `plan`. */
export interface MatchedRule {
  /** 0-based index in `roles.rules`, or null for the default. */
  index: number | null;
  /** Human-readable: `group "Redis Owners"`, `roles.value equals "redis-admin"`, `default`. */
  description: string;
  /** Set when the rule is `assigned: roles` (or entitlements): the role the IdP assigned decided. */
  isAssigned?: true;
}

/** Profile fields the target account should have. */
export interface DesiredProfile {
  email: string;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
}

/**
 * The decision for one user in one target:
 * - `present`: an account with this role must exist (created, adopted or updated);
 * - `absent`: no account may exist (delete it if the bridge manages one);
 * - `disabled`: the account stays but is disabled natively (Paradime `disableUser`);
 * - `keep`: leave whatever exists untouched (`deactivate: keep`);
 * - `protected`: the email is listed as protected: never create, change or remove.
 * `role` is in the target's canonical spelling (mapping values are matched case-insensitively).
 */
export type Decision = (
  | { kind: 'present'; role: string; profile: DesiredProfile; rule: MatchedRule; reason: string }
  | { kind: 'absent'; profile: DesiredProfile | null; rule: MatchedRule | null; reason: string }
  | { kind: 'disabled'; profile: DesiredProfile | null; rule: MatchedRule | null; reason: string }
  | { kind: 'keep'; profile: DesiredProfile | null; rule: MatchedRule | null; reason: string }
  | { kind: 'protected'; profile: DesiredProfile | null; rule: null; reason: string }
) & {
  /** What was ignored and why, for the user's sync state and `plan` (an assigned role the target does not have). */
  warnings?: string[];
};

/** What `active: false` or a SCIM DELETE does: delete | disable | role:<role> | keep. */
export type DeprovisionPolicy = { kind: 'delete' } | { kind: 'disable' } | { kind: 'role'; role: string } | { kind: 'keep' };
