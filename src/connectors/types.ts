/**
 * The one interface every target connector implements. Kept small on purpose: the sync engine
 * (src/sync) owns decisions, retries across jobs, protection rules and audit; a connector only
 * knows how to read and write accounts in its target and reports what the target can do.
 *
 * Idempotence contract (baton-style): creating an account whose email exists throws
 * TARGET_CONFLICT so the engine can adopt it; setting a role the account already has is a no-op;
 * deleting or disabling an account that is gone is no error, but answers `unconfirmed`: the
 * engine then re-reads the account and counts the removal done only if it is gone or disabled.
 */

import type { BridgeError } from '../errors.js';

/** Connector types, as written in `connections.<name>.type`. */
export const connectorTypes = ['redis-cloud', 'redis-enterprise', 'yardstik', 'paradime'] as const;
export type ConnectorType = (typeof connectorTypes)[number];

/** Where an account stands in its target. */
export type AccountStatus = 'active' | 'invited' | 'disabled';

/** Why the target itself refuses changes to an account. */
export type TargetProtection = 'owner' | 'api-key-user' | 'last-admin';

/** An account as the target holds it, in the bridge's vocabulary. */
export interface TargetAccount {
  /** The target's id as a string; null for an invitation the target has not given an id yet (Paradime). */
  id: string | null;
  email: string;
  name: string | null;
  /** The account's role in the mapping vocabulary (`Owner`, `db_viewer`, `DEVELOPER`, `member`); null when unknown. */
  role: string | null;
  /**
   * Other spellings of the same role the mapping may use, e.g. Redis Enterprise reports both
   * `role: "admin"` and `role_uids: [1]`, so this holds `["role_uids:[1]"]`.
   */
  roleAliases?: string[];
  status: AccountStatus;
  /** Set when the target itself protects the account (its owner, the API key's own user). */
  protection?: TargetProtection;
}

/** What a new account should look like. */
export interface NewAccount {
  email: string;
  /** Display name; connectors that need first and last names use givenName/familyName, then split this. */
  name: string | null;
  givenName?: string | null;
  familyName?: string | null;
  role: string;
}

/**
 * What a disable or delete achieved as far as the target said: `confirmed` when the target
 * answered success to this very call (a 2xx, `ok: true`, a completed task); `unconfirmed` when
 * no call was confirmed (the account looked gone or disabled already, or the target answered an
 * exact, documented "no such user" code). Only the engine decides that access is gone.
 */
export type RemovalResult = 'confirmed' | 'unconfirmed';

/** Changes to an existing account; absent fields stay as they are. */
export interface AccountChange {
  email?: string;
  name?: string;
  role?: string;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /** The SCIM request that caused this call, for logs. */
  requestId?: string;
}

/** What a target can do, declared once so the engine can plan without trying. */
export interface ConnectorCapabilities {
  /** How accounts come to exist: synchronously, through an async task, by invitation, or not at all. */
  create: 'sync' | 'async-task' | 'invitation' | 'none';
  /** What the target offers to take access away: a native disable, a no-access role, or only deletion. */
  deactivation: 'native' | 'role' | 'delete';
  /**
   * Whether a create for an email the target already holds is refused with a signal the connector
   * reads as TARGET_CONFLICT. True: the bridge creates an unlinked user's account at once and
   * adopts on that refusal (no listing per new user). False: nothing says a second create is
   * refused, so the bridge looks the email up before every create, and an account or invitation
   * already there (an earlier invite whose answer was lost, one sent by hand) is adopted.
   */
  refusesTakenEmail: boolean;
  /** Whether a disabled or deleted account can be given access again through the API. */
  canReactivate: boolean;
  /** Whether the API can delete accounts (Paradime cannot: only disable). */
  canDelete: boolean;
  isEmailMutable: boolean;
  isNameMutable: boolean;
  isRoleMutable: boolean;
  /** Canonical role values the target accepts (mapping files are checked against these, case-insensitively). */
  roles: readonly string[];
  /** The role that means "no access" while keeping the account (Redis Enterprise `none`), if any. */
  noAccessRole?: string;
  /** Redis Enterprise: roles may also be given as `role_uids:[1,4]`. */
  acceptsRoleUids?: boolean;
  /**
   * Where the roles an IdP may assign come from ({@link Connector.listRoles}): `static` (a fixed
   * list, no target call), `live` (read from the target, so roles created there appear), or
   * absent when the target has no roles to offer (Yardstik).
   */
  roleCatalog?: 'static' | 'live';
}

/** A role the target offers, as an IdP may see and assign it (SCIM `/Roles`). */
export interface TargetRole {
  /** The exact value a mapping file and a user's `roles[].value` use: `Owner`, `role_uids:[17]`, `DEVELOPER`. */
  id: string;
  displayName: string;
  /** What the role grants, where the target says. */
  description?: string;
}

/** The result of a cheap authenticated read: are the credentials right and sufficient? */
export interface AccessCheck {
  ok: boolean;
  /** Who the credentials belong to, when the target says (an email or a key name). */
  identity?: string;
  /** Human-readable problems ("the API key's user is a Viewer: only an Owner's key can change users"). */
  problems: string[];
}

/** A target connector. */
export interface Connector {
  readonly type: ConnectorType;
  readonly capabilities: ConnectorCapabilities;
  /** Every account in the target, invitations included (paging hidden inside). */
  listAccounts(options?: CallOptions): AsyncIterable<TargetAccount>;
  /** The account with this email (compared case-insensitively), or null. */
  findByEmail(email: string, options?: CallOptions): Promise<TargetAccount | null>;
  /**
   * The account with this target id, or null when it is gone. Optional: targets with a cheap
   * read by id implement it so a linked user costs one small call instead of a full listing.
   */
  getAccount?(id: string, options?: CallOptions): Promise<TargetAccount | null>;
  /** Creates (or invites) an account; throws TARGET_CONFLICT when the email exists. */
  createAccount(account: NewAccount, options?: CallOptions): Promise<TargetAccount>;
  /** Applies name, email and role changes the target supports; throws UNSUPPORTED_OPERATION otherwise. */
  updateAccount(account: TargetAccount, change: AccountChange, options?: CallOptions): Promise<TargetAccount>;
  /**
   * Takes access away without deleting: a native disable (deactivation 'native'), or the
   * no-access role (deactivation 'role'); UNSUPPORTED_OPERATION when the target can only delete.
   * `unconfirmed` when already disabled or gone.
   */
  disableAccount(account: TargetAccount, options?: CallOptions): Promise<RemovalResult>;
  /** Deletes the account; `unconfirmed` when it looked gone already; UNSUPPORTED_OPERATION when !canDelete. */
  deleteAccount(account: TargetAccount, options?: CallOptions): Promise<RemovalResult>;
  /**
   * Waits until a write the target accepted earlier is final, whatever its outcome (the sync
   * layer reads the account again and plans afresh): the handle is the `pendingHandle` of a
   * TARGET_TASK_PENDING error (see {@link pendingHandleOf}). Throws TARGET_TASK_PENDING with the
   * same handle when it is still not final. Only targets with asynchronous writes implement it.
   */
  awaitPending?(handle: string, options?: CallOptions): Promise<void>;
  /**
   * The roles the target offers, highest first (the order `assigned` mapping rules use to pick
   * one of several). Present when `capabilities.roleCatalog` is set; a `static` catalog makes no
   * target call.
   */
  listRoles?(options?: CallOptions): Promise<TargetRole[]>;
  /** Checks the credentials with a cheap read, for /readyz and `scim-bridge validate`. */
  checkAccess(options?: CallOptions): Promise<AccessCheck>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

/**
 * The handle of a write the target accepted but had not finished when the connector stopped
 * waiting (a Redis Cloud task id), carried by TARGET_TASK_PENDING in `details.pendingHandle`.
 * The sync layer keeps it with the job and passes it to {@link Connector.awaitPending} on the
 * next attempt instead of submitting the write again.
 */
export function pendingHandleOf(error: BridgeError): string | undefined {
  const handle = error.code === 'TARGET_TASK_PENDING' ? error.details.pendingHandle : undefined;
  return typeof handle === 'string' && handle !== '' ? handle : undefined;
}

/** Formats Redis Enterprise role uids the way mapping files and TargetAccount.roleAliases spell them. */
export function formatRoleUids(uids: readonly number[]): string {
  return `role_uids:[${[...uids].sort((a, b) => a - b).join(',')}]`;
}

/** Parses `role_uids:[1,4]` back into numbers; null when the value is a plain role name. */
export function parseRoleUids(role: string): number[] | null {
  const match = /^role_uids:\[(\s*\d+\s*(?:,\s*\d+\s*)*)?\]$/.exec(role.trim());
  if (!match) return null;
  return (match[1] ?? '').split(',').filter((s) => s.trim() !== '').map((s) => Number(s.trim()));
}

/** Whether the account already has the role (its own spelling or an alias), case-insensitively. */
export function hasRole(account: TargetAccount, role: string): boolean {
  const wanted = role.toLowerCase();
  return [account.role, ...(account.roleAliases ?? [])].some((r) => r !== null && r.toLowerCase() === wanted);
}
