import { BridgeError, isBridgeError, toBridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import {
  hasRole,
  type AccessCheck,
  type AccountChange,
  type CallOptions,
  type Connector,
  type ConnectorCapabilities,
  type NewAccount,
  type RemovalResult,
  type TargetAccount,
} from '../types.js';
import { createParadimeClient, type ParadimeClient } from './client.js';
import { paradimeRoleCatalog } from './roles.js';
import { paradimeErrorCodes, paradimeReEnableHint } from './errors.js';
import { paradimeAccountTypes, type ParadimeAccountType, type ParadimeListUsersResult, type ParadimeTarget } from './schemas.js';

/**
 * Paradime through its GraphQL user-management API (Paradime's User Management API docs): accounts are invited (no uid
 * until sign-up), disabled natively, re-roled by accountType; nothing else can be changed.
 */

/** What Paradime's API can do (Paradime's User Management API docs: no enable, delete, name or email update). */
export const paradimeCapabilities: ConnectorCapabilities = {
  create: 'invitation',
  deactivation: 'native',
  // Paradime documents no error codes: a taken email has no signal to read, so look it up first.
  refusesTakenEmail: false,
  canReactivate: false,
  canDelete: false,
  isEmailMutable: false,
  isNameMutable: false,
  isRoleMutable: true,
  roles: paradimeAccountTypes,
  roleCatalog: 'static',
};

/** Maps one `listUsers` result to accounts; a lone active ADMIN is marked `last-admin`. */
export function paradimeAccounts(result: ParadimeListUsersResult): TargetAccount[] {
  const active = result.activeUsers ?? [];
  const admins = active.filter((user) => user.accountType === 'ADMIN');
  const accounts: TargetAccount[] = active.map((user) => ({
    id: user.uid,
    email: user.email,
    name: user.name,
    role: user.accountType,
    status: 'active',
    ...(admins.length === 1 && admins[0] === user ? { protection: 'last-admin' as const } : {}),
  }));
  const seen = new Set(accounts.map((a) => a.email.toLowerCase()));
  for (const invite of result.invitedUsers ?? []) {
    if (seen.has(invite.email.toLowerCase())) continue;
    seen.add(invite.email.toLowerCase());
    accounts.push({ id: null, email: invite.email, name: null, role: invite.accountType, status: 'invited' });
  }
  return accounts;
}

function accountType(role: string): ParadimeAccountType {
  const wanted = role.trim().toUpperCase();
  const found = paradimeAccountTypes.find((type) => type === wanted);
  if (found) return found;
  throw new BridgeError('TARGET_REJECTED', `"${role}" is not a Paradime account type; expected one of ${paradimeAccountTypes.join(', ')}`, {
    details: { role, reason: 'unknown-role' },
  });
}

function unsupported(what: string): BridgeError {
  return new BridgeError('UNSUPPORTED_OPERATION', `Paradime's API cannot ${what}`, { details: { reason: 'not-in-api' } });
}

function invitationPending(account: TargetAccount): BridgeError {
  // The mutations need a uid, which exists only once the invitee signs up (Paradime's User Management API docs).
  return new BridgeError('TARGET_REJECTED', `${account.email} has not accepted the Paradime invitation yet: it has no uid to change`, {
    details: { reason: 'invitation-pending', email: account.email },
  });
}

function userGone(account: TargetAccount): BridgeError {
  return new BridgeError('TARGET_NOT_FOUND', `no Paradime user or invitation for ${account.email}`, { details: { email: account.email } });
}

function userDisabled(account: TargetAccount): BridgeError {
  return new BridgeError('UNSUPPORTED_OPERATION', `paradime: ${paradimeReEnableHint}`, { details: { email: account.email, reason: 'user-disabled' } });
}

/** The `extensions.code` values a disableUser may answer for a user that is gone or disabled already. */
const removalCodes: ReadonlySet<string> = new Set([paradimeErrorCodes.notFound, paradimeErrorCodes.disabled]);

/** Builds the Paradime connector for one connection. */
export function createParadimeConnector(target: ParadimeTarget, deps: ConnectorDeps): Connector {
  const client = createParadimeClient(target, deps);

  async function findByEmail(email: string, options: CallOptions = {}): Promise<TargetAccount | null> {
    const wanted = email.toLowerCase();
    const accounts = paradimeAccounts(await client.listUsers(options.signal));
    return accounts.find((account) => account.email.toLowerCase() === wanted) ?? null;
  }

  /** The account's uid, re-reading an invitation in case it was accepted since; null when it is gone. */
  async function currentUid(account: TargetAccount, options: CallOptions): Promise<string | null> {
    if (account.id !== null) return account.id;
    const found = await findByEmail(account.email, options);
    if (found === null) return null;
    if (found.id === null) throw invitationPending(account);
    return found.id;
  }

  async function updateAccount(account: TargetAccount, change: AccountChange, options: CallOptions = {}): Promise<TargetAccount> {
    // Refuse what cannot be done before writing anything, so nothing is half-applied.
    if (change.email !== undefined && change.email.toLowerCase() !== account.email.toLowerCase()) throw unsupported("change a user's email");
    if (change.name !== undefined && change.name !== account.name) throw unsupported("change a user's name");
    if (change.role === undefined || hasRole(account, change.role)) return account;
    const role = accountType(change.role);
    if (account.status === 'disabled') throw userDisabled(account);
    const uid = await currentUid(account, options);
    if (uid === null) throw userGone(account);
    await client.updateUserAccountType(uid, role, options.signal);
    return { ...account, id: uid, status: 'active', role };
  }

  async function disableAccount(account: TargetAccount, options: CallOptions = {}): Promise<RemovalResult> {
    if (account.status === 'disabled') return 'unconfirmed';
    const uid = await currentUid(account, options);
    if (uid === null) return 'unconfirmed';
    try {
      await client.disableUser(uid, options.signal);
      return 'confirmed';
    } catch (err) {
      // Only the exact codes for "no such user" and "user is disabled" may mean done already; the
      // engine re-reads the account before believing it (the API lists only active and invited users).
      if (isBridgeError(err) && removalCodes.has(String(err.details.targetError))) return 'unconfirmed';
      throw err;
    }
  }

  async function checkAccess(options: CallOptions = {}): Promise<AccessCheck> {
    try {
      await client.listUsers(options.signal);
    } catch (err) {
      const error = toBridgeError(err);
      if (error.code === 'ABORTED') throw error;
      return { ok: false, problems: [accessProblem(error)] };
    }
    return workspaceCheck(client, target, options, deps.logger);
  }

  return {
    type: 'paradime',
    capabilities: paradimeCapabilities,
    async *listAccounts(options: CallOptions = {}) {
      yield* paradimeAccounts(await client.listUsers(options.signal));
    },
    findByEmail,
    async createAccount(account: NewAccount, options: CallOptions = {}): Promise<TargetAccount> {
      const role = accountType(account.role);
      await client.inviteUser(account.email, role, options.signal);
      return { id: null, email: account.email, name: null, role, status: 'invited' };
    },
    updateAccount,
    disableAccount,
    deleteAccount: () => Promise.reject(unsupported('delete users: the engine disables them instead (the default mapping, docs/architecture.md)')),
    listRoles: () => Promise.resolve(paradimeRoleCatalog.map((role) => ({ ...role }))),
    checkAccess,
    close: () => client.close(),
  };
}

function accessProblem(error: BridgeError): string {
  if (error.code === 'TARGET_AUTH') {
    return `Paradime refused the credentials (${error.message}): check the API key and secret or the bearer token, and that the key has the User Management Admin capability`;
  }
  return `listUsers failed: ${error.code}: ${error.message}`;
}

/** listWorkspaces names the workspace; a key without that right still passes (only listUsers is needed). */
async function workspaceCheck(
  client: ParadimeClient,
  target: ParadimeTarget,
  options: CallOptions,
  logger: ConnectorDeps['logger'],
): Promise<AccessCheck> {
  const workspaces = await client.listWorkspaces(options.signal).then(
    (result) => result.workspaces ?? [],
    (err: unknown) => {
      const error = toBridgeError(err);
      if (error.code === 'ABORTED') throw error;
      logger.info('paradime listWorkspaces failed; the access check relies on listUsers', { error: error.code });
      return null;
    },
  );
  if (workspaces === null) return { ok: true, problems: [] };
  const wanted = target.workspaceUid;
  const chosen = wanted !== undefined ? workspaces.find((w) => w.uid === wanted) : workspaces.length === 1 ? workspaces[0] : undefined;
  if (wanted !== undefined && chosen === undefined) {
    return { ok: false, problems: [`workspaceUid ${wanted} is not among the workspaces these credentials can see`] };
  }
  return { ok: true, problems: [], ...(chosen ? { identity: `workspace ${chosen.name} (${chosen.uid})` } : {}) };
}
