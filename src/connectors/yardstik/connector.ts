import { BridgeError, toBridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import type {
  AccessCheck,
  AccountChange,
  CallOptions,
  Connector,
  ConnectorCapabilities,
  NewAccount,
  TargetAccount,
} from '../types.js';
import { createYardstikClient, type YardstikClient } from './client.js';
import { yardstikIdSchema, type YardstikCreateUserRequest, type YardstikTarget, type YardstikUserSummary } from './schemas.js';

/** The one role a Yardstik account user has: the API has no roles, only report groups (developer.yardstik.com Groups). */
export const yardstikRole = 'member';

/** What the Yardstik Account Users API can do (developer.yardstik.com Account Users and docs/targets.md). */
export const yardstikCapabilities: ConnectorCapabilities = {
  create: 'sync',
  deactivation: 'delete',
  // A 422 whose message names the email as taken (docs/targets.md: inferred, the client reads it).
  refusesTakenEmail: true,
  canReactivate: true,
  canDelete: true,
  isEmailMutable: false,
  isNameMutable: false,
  isRoleMutable: false,
  roles: [yardstikRole],
};

/** Builds the Yardstik connector for one connection. */
export function createYardstikConnector(target: YardstikTarget, deps: ConnectorDeps): Connector {
  const client = createYardstikClient(target, deps);
  // Only the list names the owner (the AccountUser shape has no owner flag, developer.yardstik.com Account Users), so its id is kept
  // from the last listing. A transferred ownership shows at the next listing; until then the
  // target still refuses to delete the new owner (422 → PROTECTED_ACCOUNT).
  let ownerId: string | undefined;
  const list = (options?: CallOptions): AsyncGenerator<TargetAccount> => listAccounts(client, options, (id) => (ownerId = id));
  const findByEmail = async (email: string, options?: CallOptions): Promise<TargetAccount | null> => {
    const wanted = email.toLowerCase();
    for await (const account of list(options)) if (account.email.toLowerCase() === wanted) return account;
    return null;
  };
  const getAccount = async (id: string, options?: CallOptions): Promise<TargetAccount | null> => {
    if (!yardstikIdSchema.safeParse(id).success) return null;
    const user = await client.getUser(id, options?.signal).catch((err: unknown) => {
      if (toBridgeError(err).code === 'TARGET_NOT_FOUND') return null;
      throw err;
    });
    if (!user) return null;
    ownerId ??= (await client.listUsers(options?.signal)).owner.id;
    return toTargetAccount(user, user.id === ownerId);
  };
  return {
    type: 'yardstik',
    capabilities: yardstikCapabilities,
    listAccounts: list,
    findByEmail,
    getAccount,
    async createAccount(account, options) {
      assertMemberRole(account.role);
      const created = await client.createUser(yardstikUserBody(account), options?.signal);
      return toTargetAccount(created);
    },
    updateAccount: async (account, change) => updateAccount(account, change),
    disableAccount: () =>
      Promise.reject(new BridgeError('UNSUPPORTED_OPERATION', 'Yardstik cannot disable an account user: the API only deletes them (deactivation is a delete)')),
    async deleteAccount(account, options) {
      const current = account.id === null ? await findByEmail(account.email, options) : account;
      if (!current?.id) return 'unconfirmed';
      try {
        await client.deleteUser(current.id, options?.signal);
        return 'confirmed';
      } catch (err) {
        if (toBridgeError(err).code !== 'TARGET_NOT_FOUND') throw err;
        return 'unconfirmed';
      }
    },
    checkAccess: (options) => checkAccess(client, target, options),
    close: () => client.close(),
  };
}

async function* listAccounts(client: YardstikClient, options?: CallOptions, onOwner?: (id: string) => void): AsyncGenerator<TargetAccount> {
  const { owner, users } = await client.listUsers(options?.signal);
  onOwner?.(owner.id);
  // The owner comes apart from `users` and cannot be deleted through the API (developer.yardstik.com Account Users).
  yield toTargetAccount(owner, true);
  for (const user of users) if (user.id !== owner.id) yield toTargetAccount(user);
}

/** Converts a Yardstik user into the bridge's account shape. */
export function toTargetAccount(user: YardstikUserSummary, isOwner = false): TargetAccount {
  const name = [user.first_name, user.last_name].filter((part) => part !== null && part.trim() !== '').join(' ');
  return {
    id: user.id,
    email: user.email_address,
    name: name === '' ? null : name,
    role: yardstikRole,
    status: 'active',
    ...(isOwner ? { protection: 'owner' as const } : {}),
  };
}

/**
 * The create body: first and last name from givenName/familyName, else from splitting `name`,
 * else the email's local part. All three fields are required (developer.yardstik.com Account Users), so none is ever empty.
 */
export function yardstikUserBody(account: NewAccount): YardstikCreateUserRequest {
  const clean = (value: string | null | undefined): string | undefined => (value?.trim() ? value.trim() : undefined);
  const name = clean(account.name) ?? '';
  const given = clean(account.givenName);
  const words = name.split(/\s+/).filter((word) => word !== '');
  const rest = given !== undefined && name.startsWith(given) ? name.slice(given.length) : words.slice(1).join(' ');
  const localPart = clean(account.email.split('@')[0]) ?? account.email;
  return {
    email_address: account.email,
    first_name: given ?? words[0] ?? localPart,
    last_name: clean(account.familyName) ?? clean(rest) ?? localPart,
  };
}

function updateAccount(account: TargetAccount, change: AccountChange): TargetAccount {
  // No PUT/PATCH exists for account users (developer.yardstik.com Account Users); re-creating is the engine's decision.
  if (change.email !== undefined && change.email.toLowerCase() !== account.email.toLowerCase()) {
    throw new BridgeError('UNSUPPORTED_OPERATION', 'the Yardstik API has no update for account users: the email cannot be changed in place', {
      details: { field: 'email', accountId: account.id },
    });
  }
  if (change.name !== undefined && change.name !== account.name) {
    throw new BridgeError('UNSUPPORTED_OPERATION', 'the Yardstik API has no update for account users: the name cannot be changed in place', {
      details: { field: 'name', accountId: account.id },
    });
  }
  if (change.role !== undefined) assertMemberRole(change.role);
  return { ...account, role: yardstikRole };
}

function assertMemberRole(role: string): void {
  if (role.toLowerCase() === yardstikRole) return;
  throw new BridgeError('UNSUPPORTED_OPERATION', `Yardstik has no roles: every account user is '${yardstikRole}' (report groups are read, not written)`, {
    details: { role },
  });
}

async function checkAccess(client: YardstikClient, target: YardstikTarget, options?: CallOptions): Promise<AccessCheck> {
  try {
    await client.listUsers(options?.signal);
    // Yardstik does not say whose key it is; the account it opens is the useful identity.
    return { ok: true, identity: `account ${target.accountId}`, problems: [] };
  } catch (err) {
    const error = toBridgeError(err);
    if (error.code === 'ABORTED') throw error;
    // The client's classifier already words 401/403 in terms of the config fields to check.
    return { ok: false, problems: [error.message] };
  }
}
