import { randomUUID } from 'node:crypto';
import { BridgeError } from '../errors.js';
import type { UserInput, UserRecord, WriteContext, WriteOptions } from '../directory/model.js';
import type { Store } from '../directory/store.js';
import type { MappingInput } from '../mapping/types.js';
import type { Directory } from '../directory/directory.js';
import type { SyncConnection } from './connection.js';
import type { SyncEngine } from './engine.js';
import { applyUser } from './apply.js';
import { putLinkedState, stateAfter } from './converge.js';

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
    const wait = engine.settle(connection, userId, runtime(connection)?.settings.inlineWaitMs ?? 0);
    engine.wake(connection);
    await wait;
  };

  const userWrite = async (
    connection: string,
    userId: string | null,
    input: UserInput | null,
    ctx: WriteContext,
    write: (ctx: WriteContext) => Promise<UserRecord | void>,
  ): Promise<UserRecord | void> => {
    const sync = runtime(connection);
    if (sync?.mode === 'strict') return strictWrite(store, engine, sync, userId, input, ctx, write);
    const result = await write(ctx);
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
    createUser: async (c, input, ctx) => {
      const created = (await userWrite(c, null, input, ctx, (x) => store.createUser(c, input, x))) as UserRecord;
      // Answered before any attempt (no inline wait): a new user is in no group and has no sync
      // state yet, so the response needs no read of them (the SCIM layer reads them otherwise).
      const isUnsettled = runtime(c)?.mode !== 'strict' && (runtime(c)?.settings.inlineWaitMs ?? 0) <= 0;
      return created.related === undefined && isUnsettled ? { ...created, related: { groups: [], syncState: null } } : created;
    },
    replaceUser: async (c, id, input, o, ctx) => (await userWrite(c, id, input, ctx, (x) => store.replaceUser(c, id, input, o, x))) as UserRecord,
    deleteUser: async (c, id, o, ctx) => void (await userWrite(c, id, null, ctx, (x) => store.deleteUser(c, id, o, x))),
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

/**
 * Strict mode: converge the proposed state first, store it only when the target accepted it. The
 * run holds the user's lease (the worker's lease too) and goes the one way every plan goes
 * (apply.ts): a plan the target cannot carry out whole, a protected account or another user's
 * account is refused before any step.
 */
async function strictWrite(
  store: Store,
  engine: SyncEngine,
  connection: SyncConnection,
  userId: string | null,
  input: UserInput | null,
  ctx: WriteContext,
  write: (ctx: WriteContext) => Promise<UserRecord | void>,
): Promise<UserRecord | void> {
  const name = connection.name;
  const current = userId ? await store.getUser(name, userId) : null;
  if (userId && !current) throw new BridgeError('NOT_FOUND', `User ${userId} not found`);
  if (input && (!current || current.userName.toLowerCase() !== input.userName.toLowerCase())) {
    await assertUserNameFree(store, name, input.userName);
  }
  // A new user's id is chosen now, so its lease exists before the user does.
  const id = userId ?? randomUUID();
  const writeCtx: WriteContext = userId ? ctx : { ...ctx, newId: id };
  return engine.withUserLease(name, id, async (lease) => {
    const state = userId ? ((await store.getSyncStates(name, [userId]))[0] ?? null) : null;
    const groups = userId ? await store.groupsOfUsers(name, [userId]) : [];
    const proposed: MappingInput = {
      userId: id,
      userName: input?.userName ?? current?.userName ?? '',
      active: input?.active ?? false,
      isDeleted: input === null,
      attributes: input?.attributes ?? current?.attributes ?? {},
      groups: groups.map((g) => ({ id: g.groupId, displayName: g.displayName, externalId: g.externalId })),
    };
    const call = { requestId: ctx.requestId };
    // A write an earlier attempt left pending (its task id kept with the job) is waited for first, not submitted again.
    const pending = lease.pendingHandle !== null ? { pendingHandle: lease.pendingHandle } : {};
    const applied = await applyUser({ store, connection, guard: engine.guard, lease, isApproved: false, isStrict: true, call, ...pending }, { userId: id, user: null, state, input: proposed });
    if (applied.kind === 'failed') throw applied.error;
    if (applied.kind === 'held') {
      // Held for approval (the guard, the last admin): stored, and the worker holds it, as in eventual mode.
      const held = await write(writeCtx);
      engine.wake(name);
      return held;
    }
    const { prepared, execution } = applied;
    const result = await write(writeCtx);
    const at = Date.now();
    const status = execution.plan.kind === 'wait' ? 'pending' : execution.plan.kind === 'protected' ? 'unsupported' : 'synced';
    const problem = execution.plan.kind === 'protected' ? { code: 'PROTECTED_ACCOUNT', message: execution.plan.summary } : null;
    const { state: synced } = await putLinkedState(store, stateAfter(connection, id, prepared, execution, status, problem, at), lease);
    await store.appendAudit([{ at, connection: name, userId: id, requestIds: [ctx.requestId], decision: { mode: 'strict', decision: prepared.decision, plan: execution.plan, before: prepared.account, after: execution.account, calls: execution.calls, outcome: synced.status } }]);
    return result;
  });
}

async function assertUserNameFree(store: Store, connection: string, userName: string): Promise<void> {
  const page = await store.listUsers(connection, {
    filter: { kind: 'compare', path: { attr: 'userName' }, op: 'eq', value: userName },
    startIndex: 1,
    count: 0,
  });
  if (page.totalResults > 0) throw new BridgeError('UNIQUENESS', `userName "${userName}" is already taken`);
}
