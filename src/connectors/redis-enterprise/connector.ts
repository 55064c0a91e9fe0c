import { BridgeError, toBridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import { formatRoleUids, type AccessCheck, type AccountChange, type CallOptions, type Connector, type ConnectorCapabilities, type NewAccount, type RemovalResult, type TargetAccount, type TargetProtection, type TargetRole } from '../types.js';
import { alreadyHasRole, clusterName, newAccountName, roleWrite, soleAdminUid, toTargetAccount } from './accounts.js';
import { createRedisEnterpriseClient, targetErrorCode, type RedisEnterpriseClient } from './client.js';
import { generatedPasswordLength, generatePassword } from './password.js';
import { redisEnterpriseManagementRoles, type RedisEnterpriseTarget, type RedisEnterpriseUser, type RedisEnterpriseUserWrite } from './schemas.js';

/** What Redis Enterprise can do (the redis.io REST API reference and docs/targets.md). */
export const redisEnterpriseCapabilities: ConnectorCapabilities = {
  create: 'sync',
  // No disable endpoint and `status` is read-only: role `none` takes REST/UI access away (redis.io permissions).
  deactivation: 'role',
  noAccessRole: 'none',
  // 409 email_already_exists (redis.io users requests).
  refusesTakenEmail: true,
  canReactivate: true,
  canDelete: true,
  isEmailMutable: true,
  isNameMutable: true,
  isRoleMutable: true,
  roles: redisEnterpriseManagementRoles,
  acceptsRoleUids: true,
  roleCatalog: 'live',
};

const userManagers = new Set(['admin', 'user_manager']);
// The documented maximum of password_min_length (redis.io password complexity rules): a password this long meets any cluster setting.
const longestMinimum = 256;

/** Builds the Redis Enterprise connector for one connection. */
export function createRedisEnterpriseConnector(target: RedisEnterpriseTarget, deps: ConnectorDeps): Connector {
  const client = createRedisEnterpriseClient(target, deps);
  const self = target.username.toLowerCase();
  // The bridge's own user and the sole admin are marked; src/sync/safety.ts keeps the engine off them.
  const protectionOf = (user: RedisEnterpriseUser, lastAdmin: number | undefined): TargetProtection | undefined =>
    user.email.toLowerCase() === self ? 'api-key-user' : user.uid === lastAdmin ? 'last-admin' : undefined;
  const account = (user: RedisEnterpriseUser): TargetAccount => toTargetAccount(user, protectionOf(user, undefined));

  async function* listAccounts(options: CallOptions = {}): AsyncIterable<TargetAccount> {
    const users = await client.listUsers(options.signal);
    const lastAdmin = soleAdminUid(users);
    for (const user of users) yield toTargetAccount(user, protectionOf(user, lastAdmin));
  }

  async function findByEmail(email: string, options: CallOptions = {}): Promise<TargetAccount | null> {
    const wanted = email.toLowerCase();
    for await (const found of listAccounts(options)) if (found.email.toLowerCase() === wanted) return found;
    return null;
  }

  async function getAccount(id: string, options: CallOptions = {}): Promise<TargetAccount | null> {
    // The route is `/v1/users/{int: uid}`: any other id names no user, so the cluster is not asked.
    if (!/^\d+$/.test(id) || !Number.isSafeInteger(Number(id))) return null;
    const user = await client.getUser(Number(id), options.signal).catch(nullWhenMissing);
    if (!user) return null;
    // 'last-admin' depends on the whole list, so an admin (other than the bridge's own user, which is
    // 'api-key-user' anyway) costs one more call, GET /v1/users: the protection then matches
    // listAccounts and the engine plans around it instead of meeting the cluster's 406. Admins are
    // few, so a linked user still costs one call.
    const mayBeLastAdmin = user.role === 'admin' && user.email.toLowerCase() !== self;
    const lastAdmin = mayBeLastAdmin ? soleAdminUid(await client.listUsers(options.signal)) : undefined;
    return toTargetAccount(user, protectionOf(user, lastAdmin));
  }

  async function updateAccount(current: TargetAccount, change: AccountChange, options: CallOptions = {}): Promise<TargetAccount> {
    const body: RedisEnterpriseUserWrite = {};
    if (change.email !== undefined && change.email !== current.email) body.email = change.email;
    if (change.name !== undefined && clusterName(change.name) !== (current.name ?? '')) body.name = clusterName(change.name);
    if (change.role !== undefined && !alreadyHasRole(current, change.role)) Object.assign(body, roleWrite(change.role));
    if (Object.keys(body).length === 0) return current;
    return account(await client.updateUser(uidOf(current), body, options.signal));
  }

  async function disableAccount(current: TargetAccount, options: CallOptions = {}): Promise<RemovalResult> {
    if (alreadyHasRole(current, 'none')) return 'unconfirmed';
    return ignoreMissing(client.updateUser(uidOf(current), { role: 'none' }, options.signal));
  }

  async function deleteAccount(current: TargetAccount, options: CallOptions = {}): Promise<RemovalResult> {
    try {
      return await ignoreMissing(client.deleteUser(uidOf(current), options.signal));
    } catch (err) {
      // 406 "The request is not acceptable" on DELETE: the last admin, or the caller itself (inferred from redis.io users requests).
      if (!(err instanceof BridgeError) || err.details.status !== 406) throw err;
      throw new BridgeError('PROTECTED_ACCOUNT', `the cluster refuses to delete ${current.email} (406): it keeps at least one admin`, {
        details: err.details,
        cause: err,
      });
    }
  }

  return {
    type: 'redis-enterprise',
    capabilities: redisEnterpriseCapabilities,
    listAccounts,
    findByEmail,
    getAccount,
    createAccount: async (wanted, options = {}) => account(await createUser(client, wanted, options.signal)),
    updateAccount,
    disableAccount,
    deleteAccount,
    listRoles: (options = {}) => listRoles(client, options.signal),
    checkAccess: (options = {}) => checkAccess(client, target.username, options.signal),
    close: () => client.close(),
  };
}

/**
 * POST /v1/users with a generated password (POST requires one, redis.io users requests). A taken name
 * (`name_already_exists`, redis.io users requests, v7.22) is retried once with the email appended; a password the
 * cluster still finds too simple (a raised `password_min_length`) once at the longest minimum.
 */
async function createUser(client: RedisEnterpriseClient, wanted: NewAccount, signal?: AbortSignal): Promise<RedisEnterpriseUser> {
  const role = roleWrite(wanted.role);
  let name = newAccountName(wanted);
  let length = generatedPasswordLength;
  for (let attempt = 0; ; attempt++) {
    const body: RedisEnterpriseUserWrite = { email: wanted.email, password: generatePassword(wanted.email, length), ...role, ...(name ? { name } : {}) };
    try {
      return await client.createUser(body, signal);
    } catch (err) {
      const code = targetErrorCode(err);
      if (attempt < 2 && code === 'name_already_exists' && name !== undefined && !name.endsWith(')')) {
        name = clusterName(`${name} (${wanted.email})`);
      } else if (attempt < 2 && code === 'password_not_complex' && length < longestMinimum) {
        length = longestMinimum;
      } else {
        throw err;
      }
    }
  }
}

/**
 * The cluster's roles from `GET /v1/roles`, built-in and custom, each as `role_uids:[<uid>]` (the
 * spelling a mapping file uses for a role uid), highest management role first. A cluster without
 * roles (501 "Cluster doesn't support roles yet", redis.io roles requests) offers the management
 * roles instead, by name.
 */
async function listRoles(client: RedisEnterpriseClient, signal?: AbortSignal): Promise<TargetRole[]> {
  try {
    const roles = await client.listRoles(signal);
    return [...roles]
      .sort((a, b) => rankOf(a.management) - rankOf(b.management) || a.uid - b.uid)
      .map((role) => ({ id: formatRoleUids([role.uid]), displayName: role.name, description: `management role ${role.management}` }));
  } catch (err) {
    if (!(err instanceof BridgeError) || err.details.status !== 501) throw err;
    // `none` is left out: in a mapping file it means no account at all.
    return managementOrder.filter((name) => name !== 'none').map((name) => ({ id: name, displayName: name, description: `management role ${name}` }));
  }
}

// Most to least power (redis.io roles and permissions): admin holds everything, user_manager manages users, the
// cluster roles see the cluster, the db roles only databases, none nothing.
const managementOrder = ['admin', 'user_manager', 'cluster_member', 'db_member', 'cluster_viewer', 'db_viewer', 'none'] as const;
const rankOf = (management: string): number => {
  const rank = managementOrder.indexOf(management as (typeof managementOrder)[number]);
  return rank < 0 ? managementOrder.length : rank;
};

/** Reads the caller's own user and checks that its roles may manage users (admin or user_manager, redis.io roles and permissions). */
async function checkAccess(client: RedisEnterpriseClient, username: string, signal?: AbortSignal): Promise<AccessCheck> {
  try {
    const me = (await client.listUsers(signal)).find((user) => user.email.toLowerCase() === username.toLowerCase());
    if (!me) return { ok: false, identity: username, problems: [`the cluster lists no user with the email ${username} (target.username)`] };
    const managements = await managementsOf(client, me, signal);
    if (managements.some((m) => userManagers.has(m))) return { ok: true, identity: me.email, problems: [] };
    return {
      ok: false,
      identity: me.email,
      problems: [`${me.email} has the management role ${managements.join(', ') || 'none'}: only admin or user_manager may create, update and delete users`],
    };
  } catch (err) {
    const error = toBridgeError(err);
    if (error.code === 'ABORTED') throw error;
    return { ok: false, identity: username, problems: [accessProblem(error, username)] };
  }
}

async function managementsOf(client: RedisEnterpriseClient, user: RedisEnterpriseUser, signal?: AbortSignal): Promise<string[]> {
  const own = user.role === undefined ? [] : [user.role];
  if (!user.role_uids || user.role_uids.length === 0) return own;
  // `role` shows only the first role's management; the others may grant more.
  const roles = await client.listRoles(signal);
  const granted = roles.filter((role) => user.role_uids?.includes(role.uid)).map((role) => role.management);
  return [...new Set([...own, ...granted])];
}

function accessProblem(error: BridgeError, username: string): string {
  if (error.details.status === 401) return `the cluster rejected the credentials of ${username} (401): check target.username and target.password`;
  if (error.details.status === 403) return `${username} may not read the cluster's users (403): give it the admin or user_manager role`;
  return error.message;
}

function uidOf(account: TargetAccount): number {
  const uid = Number(account.id);
  if (account.id === null || !Number.isInteger(uid)) {
    throw new BridgeError('TARGET_NOT_FOUND', `account ${account.email} has no Redis Enterprise uid`, { details: { accountId: account.id } });
  }
  return uid;
}

function nullWhenMissing(err: unknown): null {
  if (err instanceof BridgeError && err.code === 'TARGET_NOT_FOUND') return null;
  throw err;
}

/** `confirmed` when the write answered 2xx; `unconfirmed` on a 404 (gone already, the engine re-reads to be sure). */
async function ignoreMissing(call: Promise<unknown>): Promise<RemovalResult> {
  try {
    await call;
    return 'confirmed';
  } catch (err) {
    if (err instanceof BridgeError && err.code === 'TARGET_NOT_FOUND') return 'unconfirmed';
    throw err;
  }
}
