import { BridgeError } from '../errors.js';
import type { UserInput, UserRecord, WriteContext, WriteOptions } from '../directory/model.js';
import type { Store, SyncState } from '../directory/store.js';
import type { MappingInput } from '../mapping/types.js';
import type { Directory } from '../directory/directory.js';
import type { SyncConnection } from './connection.js';
import type { SyncEngine } from './engine.js';
import { executePlan } from './execute.js';
import { isRemoval } from './plan.js';
import { prepareInput } from './prepare.js';

/**
 * The directory the SCIM layer writes to. Every write is first durable with its outbox job (the
 * store does both in one transaction); then, per connection mode (docs/architecture.md):
 * - `eventual`: wake the worker and wait up to `sync.inlineWaitMs` for the first attempt, so the
 *   response can show the state reached;
 * - `strict`: user writes are applied to the target first and stored only if it accepted them;
 *   a transient failure answers 503 with Retry-After, a permanent one its 4xx, nothing stored.
 *   Group writes stay eventual (they fan out to many users).
 */
export function createSyncedDirectory(store: Store, engine: SyncEngine): Directory {
  const runtime = (name: string): SyncConnection | undefined => engine.connection(name);

  const afterUserWrite = async (connection: string, userId: string): Promise<void> => {
    const wait = engine.waitFor(connection, userId, runtime(connection)?.settings.inlineWaitMs ?? 0);
    engine.wake(connection);
    await wait;
  };

  const userWrite = async (
    connection: string,
    userId: string | null,
    input: UserInput | null,
    ctx: WriteContext,
    write: () => Promise<UserRecord | void>,
  ): Promise<UserRecord | void> => {
    const sync = runtime(connection);
    if (sync?.mode === 'strict') return strictWrite(store, engine, sync, userId, input, ctx, write);
    const result = await write();
    await afterUserWrite(connection, result ? result.id : (userId as string));
    return result;
  };

  return {
    getUser: (c, id, o) => store.getUser(c, id, o),
    listUsers: (c, q) => store.listUsers(c, q),
    getGroup: (c, id, o) => store.getGroup(c, id, o),
    listGroups: (c, q, o) => store.listGroups(c, q, o),
    groupsOfUsers: (c, ids) => store.groupsOfUsers(c, ids),
    getSyncStates: (c, ids) => store.getSyncStates(c, ids),
    createUser: async (c, input, ctx) => (await userWrite(c, null, input, ctx, () => store.createUser(c, input, ctx))) as UserRecord,
    replaceUser: async (c, id, input, o, ctx) => (await userWrite(c, id, input, ctx, () => store.replaceUser(c, id, input, o, ctx))) as UserRecord,
    deleteUser: async (c, id, o, ctx) => void (await userWrite(c, id, null, ctx, () => store.deleteUser(c, id, o, ctx))),
    createGroup: async (c, input, ctx) => woke(engine, c, await store.createGroup(c, input, ctx)),
    replaceGroup: async (c, id, input, o, ctx) => woke(engine, c, await store.replaceGroup(c, id, input, o, ctx)),
    patchGroup: async (c, id, change, o, ctx) => woke(engine, c, await store.patchGroup(c, id, change, o, ctx)),
    deleteGroup: async (c, id, o: WriteOptions, ctx) => woke(engine, c, await store.deleteGroup(c, id, o, ctx)),
  };
}

function woke<T>(engine: SyncEngine, connection: string, value: T): T {
  engine.wake(connection);
  return value;
}

/** Strict mode: converge the proposed state first, store it only when the target accepted it. */
async function strictWrite(
  store: Store,
  engine: SyncEngine,
  connection: SyncConnection,
  userId: string | null,
  input: UserInput | null,
  ctx: WriteContext,
  write: () => Promise<UserRecord | void>,
): Promise<UserRecord | void> {
  const name = connection.name;
  const current = userId ? await store.getUser(name, userId) : null;
  if (userId && !current) throw new BridgeError('NOT_FOUND', `User ${userId} not found`);
  if (input && (!current || current.userName.toLowerCase() !== input.userName.toLowerCase())) {
    await assertUserNameFree(store, name, input.userName);
  }
  const state = userId ? ((await store.getSyncStates(name, [userId]))[0] ?? null) : null;
  const groups = userId ? await store.groupsOfUsers(name, [userId]) : [];
  const proposed: MappingInput = {
    userId: userId ?? '(new)',
    userName: input?.userName ?? current?.userName ?? '',
    active: input?.active ?? false,
    isDeleted: input === null,
    attributes: input?.attributes ?? current?.attributes ?? {},
    groups: groups.map((g) => ({ id: g.groupId, displayName: g.displayName, externalId: g.externalId })),
  };
  const prepared = await prepareInput(connection, { userId: proposed.userId, user: null, state, input: proposed }, { requestId: ctx.requestId });
  // A removal the mass-deprovisioning guard refuses is stored and held for approval, as in eventual mode.
  if (isRemoval(prepared.plan, connection.connector.capabilities) && !(await engine.admitRemoval(connection.name))) {
    const held = await write();
    engine.wake(connection.name);
    return held;
  }
  const execution = await executePlan(connection, prepared, { requestId: ctx.requestId });
  if (execution.plan.kind === 'unsupported') {
    throw new BridgeError('UNSUPPORTED_OPERATION', execution.plan.summary);
  }
  const result = await write();
  const id = result ? result.id : (userId as string);
  const account = execution.account;
  const synced: SyncState = {
    connection: name,
    userId: id,
    status: execution.plan.kind === 'wait' ? 'pending' : 'synced',
    targetId: account?.id ?? null,
    targetEmail: account?.email ?? state?.targetEmail ?? null,
    role: account?.role ?? execution.plan.expected.role,
    isManaged: (state?.isManaged ?? false) || execution.linked,
    accountStatus: account?.status ?? execution.plan.expected.accountStatus,
    lastError: null,
    lastSyncAt: Date.now(),
    updatedAt: Date.now(),
  };
  await store.putSyncState(synced);
  await store.appendAudit([{ at: Date.now(), connection: name, userId: id, requestIds: [ctx.requestId], decision: { mode: 'strict', decision: prepared.decision, plan: execution.plan, before: prepared.account, after: account, calls: execution.calls, outcome: synced.status } }]);
  return result;
}

async function assertUserNameFree(store: Store, connection: string, userName: string): Promise<void> {
  const page = await store.listUsers(connection, {
    filter: { kind: 'compare', path: { attr: 'userName' }, op: 'eq', value: userName },
    startIndex: 1,
    count: 0,
  });
  if (page.totalResults > 0) throw new BridgeError('UNIQUENESS', `userName "${userName}" is already taken`);
}
