import { BridgeError, toBridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import type { AccessCheck, AccountChange, CallOptions, Connector, ConnectorCapabilities, NewAccount, RemovalResult, TargetAccount } from '../types.js';
import { displayNameOf, isKeyUser, keyUserOf, parseUserId, requireRedisCloudRole, toTargetAccount, userIdOf, type RedisCloudKeyUser } from './accounts.js';
import { createRedisCloudClient } from './client.js';
import { canonicalRedisCloudRole, redisCloudRoles, type RedisCloudAccountUser, type RedisCloudTarget, type RedisCloudTask } from './schemas.js';
import { redisCloudRoleCatalog } from './roles.js';
import { defaultTaskTimeoutMs, taskFailureToError, waitForTask, type RedisCloudWrite } from './tasks.js';

/** What Redis Cloud's account-user API can do (Redis Cloud's OpenAPI document and docs/targets.md). */
export const redisCloudCapabilities: ConnectorCapabilities = {
  // Only through the agent page's POST /users; the official API has none (docs/simulators/redis-cloud.md).
  create: 'async-task',
  // No suspend or disable exists: deactivation deletes, reactivation invites again (Redis Cloud's OpenAPI document).
  deactivation: 'delete',
  // 409 "User with this email already exists", as the only page describing POST /v1/users says.
  refusesTakenEmail: true,
  canReactivate: true,
  canDelete: true,
  isEmailMutable: false,
  isNameMutable: true,
  isRoleMutable: true,
  roles: redisCloudRoles,
  roleCatalog: 'static',
};

/** Builds the Redis Cloud connector for one connection. */
export function createRedisCloudConnector(target: RedisCloudTarget, deps: ConnectorDeps): Connector {
  const client = createRedisCloudClient(target, deps);
  const taskTimeoutMs = target.taskTimeoutMs ?? defaultTaskTimeoutMs;
  let keyUser: RedisCloudKeyUser | undefined;

  // The key's user never changes for one key, so `GET /` is read once per connector.
  async function getKeyUser(signal?: AbortSignal): Promise<RedisCloudKeyUser> {
    keyUser ??= keyUserOf(await client.getAccount(signal));
    return keyUser;
  }

  async function readAccounts(signal?: AbortSignal): Promise<TargetAccount[]> {
    const key = await getKeyUser(signal);
    const users = await client.listUsers(signal);
    return users.map((user) => toTargetAccount(user, key));
  }

  async function readAccount(user: RedisCloudAccountUser, signal?: AbortSignal): Promise<TargetAccount> {
    return toTargetAccount(user, await getKeyUser(signal));
  }

  async function finish(task: RedisCloudTask, write: RedisCloudWrite, signal?: AbortSignal): Promise<RedisCloudTask> {
    const final = await waitForTask(client, task, { timeoutMs: taskTimeoutMs, signal });
    const failure = final.status === 'processing-error' ? taskFailureToError(final, write) : null;
    if (failure) throw failure;
    return final;
  }

  async function findByEmail(email: string, options: CallOptions = {}): Promise<TargetAccount | null> {
    const wanted = email.toLowerCase();
    return (await readAccounts(options.signal)).find((a) => a.email.toLowerCase() === wanted) ?? null;
  }

  async function getAccount(id: string, options: CallOptions = {}): Promise<TargetAccount | null> {
    const userId = parseUserId(id);
    if (userId === undefined) return null;
    const user = await client.getUser(userId, options.signal).catch((err: unknown) => {
      if (err instanceof BridgeError && err.code === 'TARGET_NOT_FOUND') return null;
      throw err;
    });
    return user ? readAccount(user, options.signal) : null;
  }

  async function resolveUserId(account: TargetAccount, signal?: AbortSignal): Promise<number | undefined> {
    const id = userIdOf(account);
    if (id !== undefined) return id;
    const found = await findByEmail(account.email, { signal });
    return found ? userIdOf(found) : undefined;
  }

  async function createAccount(account: NewAccount, options: CallOptions = {}): Promise<TargetAccount> {
    const body = { name: displayNameOf(account), email: account.email, role: requireRedisCloudRole(account.role) };
    const task = await client.createUser(body, options.signal).catch((err: unknown) => {
      throw unsupportedCreate(err) ?? err;
    });
    const final = await finish(task, 'create', options.signal);
    const id = final.response?.resourceId;
    const user = id !== undefined ? await client.getUser(id, options.signal) : null;
    const created = user ? await readAccount(user, options.signal) : await findByEmail(account.email, options);
    if (created) return created;
    throw new BridgeError('TARGET_INVALID_RESPONSE', `Redis Cloud task ${final.taskId} completed but the user is not listed`, {
      details: { taskId: final.taskId },
    });
  }

  async function updateAccount(account: TargetAccount, change: AccountChange, options: CallOptions = {}): Promise<TargetAccount> {
    if (change.email !== undefined && change.email.toLowerCase() !== account.email.toLowerCase()) {
      throw new BridgeError('UNSUPPORTED_OPERATION', 'Redis Cloud cannot change a user\'s email: remove the user and invite the new address', {
        details: { accountId: account.id },
      });
    }
    const role = change.role === undefined ? undefined : requireRedisCloudRole(change.role);
    const userId = await resolveUserId(account, options.signal);
    if (userId === undefined) throw new BridgeError('TARGET_NOT_FOUND', 'the Redis Cloud user no longer exists', { details: { accountId: account.id } });
    // Read first: PUT needs the name every time, and a role already held is not sent (same role = no-op).
    const current = await client.getUser(userId, options.signal);
    const isRoleChange = role !== undefined && role !== canonicalRedisCloudRole(current.role ?? '');
    const isNameChange = change.name !== undefined && change.name !== current.name;
    if (!isRoleChange && !isNameChange) return readAccount(current, options.signal);
    const name = change.name ?? current.name ?? displayNameOf(account);
    const task = await client.updateUser(userId, { name, ...(isRoleChange ? { role } : {}) }, options.signal);
    await finish(task, 'update', options.signal);
    return readAccount(await client.getUser(userId, options.signal), options.signal);
  }

  async function deleteAccount(account: TargetAccount, options: CallOptions = {}): Promise<RemovalResult> {
    const userId = await resolveUserId(account, options.signal);
    if (userId === undefined) return 'unconfirmed';
    const task = await client.deleteUser(userId, options.signal).catch((err: unknown) => {
      if (err instanceof BridgeError && err.code === 'TARGET_NOT_FOUND') return null;
      throw err;
    });
    if (!task) return 'unconfirmed';
    // A task that ended in USER_NOT_FOUND is no failure for a delete, but no confirmation either.
    const final = await finish(task, 'delete', options.signal);
    return final.status === 'processing-completed' ? 'confirmed' : 'unconfirmed';
  }

  // A task an earlier attempt stopped waiting for. Redis Cloud lists tasks of the past 10 days
  // (manage-tasks.md): one it no longer knows ended long ago.
  async function awaitPending(taskId: string, options: CallOptions = {}): Promise<void> {
    const task = await client.getTask(taskId, options.signal).catch((err: unknown) => {
      if (err instanceof BridgeError && err.code === 'TARGET_NOT_FOUND') return null;
      throw err;
    });
    if (task) await waitForTask(client, task, { timeoutMs: taskTimeoutMs, signal: options.signal });
  }

  async function checkAccess(options: CallOptions = {}): Promise<AccessCheck> {
    try {
      const root = await client.getAccount(options.signal);
      const users = await client.listUsers(options.signal);
      keyUser = keyUserOf(root);
      const identity = root.account.key?.owner?.email ?? root.account.key?.name;
      return { ...accessProblems(users, keyUser), ...(identity !== undefined ? { identity } : {}) };
    } catch (err) {
      const error = toBridgeError(err);
      if (error.code === 'ABORTED') throw error;
      return { ok: false, problems: [`${error.code}: ${error.message}`] };
    }
  }

  return {
    type: 'redis-cloud',
    capabilities: redisCloudCapabilities,
    async *listAccounts(options: CallOptions = {}) {
      // GET /users has no paging (Redis Cloud's OpenAPI document): one call returns everyone.
      yield* await readAccounts(options.signal);
    },
    findByEmail,
    getAccount,
    createAccount,
    updateAccount,
    disableAccount: async () => {
      throw new BridgeError('UNSUPPORTED_OPERATION', 'Redis Cloud has no disable or suspend: deactivation deletes the user');
    },
    deleteAccount,
    awaitPending,
    listRoles: () => Promise.resolve(redisCloudRoleCatalog.map((role) => ({ ...role }))),
    checkAccess,
    close: () => client.close(),
  };
}

/** The problems with a key whose user is missing or is not an Owner (Redis Cloud's access-management docs: only an Owner's key can change users). */
function accessProblems(users: RedisCloudAccountUser[], key: RedisCloudKeyUser): { ok: boolean; problems: string[] } {
  const me = users.find((user) => isKeyUser(user, key));
  if (!me) return { ok: false, problems: ["the API key's user is not among the account's users: cannot tell its role"] };
  const role = canonicalRedisCloudRole(me.role ?? '') ?? me.role ?? 'user without a role';
  if (role === 'Owner') return { ok: true, problems: [] };
  return { ok: false, problems: [`the API key's user is a ${role}: only an Owner's key can change users`] };
}

/** A 404 or 405 on `POST /users` means the official API, which has no user creation (docs/simulators/redis-cloud.md). */
function unsupportedCreate(err: unknown): BridgeError | undefined {
  if (!(err instanceof BridgeError) || (err.details.status !== 404 && err.details.status !== 405)) return undefined;
  return new BridgeError(
    'UNSUPPORTED_OPERATION',
    'the Redis Cloud API has no user creation (POST /users answered ' + String(err.details.status) + '): invite the user in the Redis Cloud console',
    { details: { status: err.details.status }, cause: err },
  );
}
