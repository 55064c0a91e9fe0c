import type { CallOptions } from '../connectors/types.js';
import type { ClaimedJob, Store, SyncState } from '../directory/store.js';
import { BridgeError, toBridgeError } from '../errors.js';
import type { Decision } from '../mapping/types.js';
import type { SyncConnection } from './connection.js';
import { callsOf, executePlan, type CallRecord, type Execution } from './execute.js';
import type { RemovalGuard } from './guard.js';
import { prepareInput, type KnownUser, type Prepared } from './prepare.js';
import { admitPlan, HoldRequest, targetKeysOf, type SafetyContext } from './safety.js';

/**
 * The one way a user's plan reaches a target, for the worker and strict mode alike, always
 * under the user's lease: lock the target keys (no other job touches the same account or email
 * meanwhile, across replicas), read the account and plan, admit the plan (safety.ts), record a
 * create before sending it, then run the steps, admitting the plan again after an adoption.
 */

/** What {@link applyUser} needs. */
export interface ApplyContext {
  store: Store;
  connection: SyncConnection;
  guard: RemovalGuard;
  /** The user's lease: the job the worker claimed, or the one strict mode took. */
  lease: ClaimedJob;
  isApproved: boolean;
  isStrict: boolean;
  call: CallOptions;
  /** A target write an earlier attempt left unfinished (a Redis Cloud task): waited for before anything is read or planned. */
  pendingHandle?: string;
}

/** What became of the plan. */
export type Applied =
  | { kind: 'executed'; prepared: Prepared; execution: Execution }
  | { kind: 'held'; prepared: Prepared; reason: string; calls: CallRecord[] }
  | { kind: 'failed'; prepared: Prepared | null; error: BridgeError; calls: CallRecord[]; pendingHandle?: string };

/** Plans and applies one user's desired state; never throws for what the target or the checks say. */
export async function applyUser(ctx: ApplyContext, known: KnownUser): Promise<Applied> {
  const { store, connection } = ctx;
  let prepared: Prepared | null = null;
  const isSettling = ctx.pendingHandle !== undefined && connection.connector.awaitPending !== undefined;
  let unsettled = isSettling ? ctx.pendingHandle : undefined;
  try {
    const decision = await connection.evaluate(known.input);
    const keys = targetKeysOf(known.state, decision);
    const lookUpAlways = ctx.isStrict || isSettling;
    // A create planned without a lookup (prepare.ts) is admitted on the states that claim its
    // email: read with the locks, under them, instead of on their own right after.
    const createEmail = isCreateFirst(connection, known, decision, lookUpAlways) ? decision.profile?.email : undefined;
    const locked = createEmail ? await store.lockTargetsAndClaims(ctx.lease, keys, createEmail) : { holder: await store.lockTargets(ctx.lease, keys), claims: null };
    const holder = locked.holder;
    if (holder !== null) {
      throw new BridgeError('SYNC_BUSY', `the job of SCIM user ${holder} is changing the same target account`, { retryAfterMs: 1_000, details: { holderUserId: holder } });
    }
    // Submitting the write again would queue a second task behind the first: wait for it, then
    // look the account up (the task may have created it) and plan against what is there.
    if (unsettled !== undefined) {
      await connection.connector.awaitPending?.(unsettled, ctx.call);
      // Final: off the job at once, whatever ends this run (a release, a newer change, a hold), so nobody reads it again.
      await store.settlePending(ctx.lease, unsettled);
    }
    unsettled = undefined;
    // Strict mode answers the IdP at once and has no re-run to lean on: it always looks the account up.
    prepared = await prepareInput(connection, known, { ...ctx.call, decision, lookUpAlways });
    const safety: SafetyContext = { store, connection, guard: ctx.guard, userId: known.userId, state: known.state, decision, isApproved: ctx.isApproved, isStrict: ctx.isStrict };
    const claims = createEmail && locked.claims ? { claims: { email: createEmail, states: locked.claims } } : {};
    const admitted = await admitPlan({ ...safety, ...claims }, prepared.plan, prepared.account);
    prepared = { ...prepared, plan: admitted.plan, account: admitted.account };
    if (prepared.isAccountUnverified && prepared.plan.steps.some((step) => step.op === 'create')) {
      prepared = { ...prepared, state: await recordCreate(store, connection, prepared, ctx.lease) };
    }
    const execution = await executePlan(connection, prepared, ctx.call, async (plan, account) => {
      const again = await admitPlan(safety, plan, account);
      if (again.account !== account) throw new BridgeError('INTERNAL', 'an adopted account cannot be set aside');
      return again.plan;
    });
    return { kind: 'executed', prepared, execution };
  } catch (err) {
    if (err instanceof HoldRequest && prepared) return { kind: 'held', prepared, reason: err.message, calls: callsOf(err) };
    return { kind: 'failed', prepared, error: toBridgeError(err), calls: callsOf(err), ...(unsettled !== undefined ? { pendingHandle: unsettled } : {}) };
  }
}

/** Whether the run will plan a create without looking the account up first (prepare.ts, locateAccount). */
function isCreateFirst(connection: SyncConnection, known: KnownUser, decision: Decision, lookUpAlways: boolean): boolean {
  const isLinked = known.state?.targetEmail !== null && known.state?.targetEmail !== undefined;
  return !isLinked && decision.kind === 'present' && connection.connector.capabilities.refusesTakenEmail && !lookUpAlways;
}

/**
 * Records a create before it is sent: the state takes the email as its target email (still no
 * account), so a job run again after a crash between the create and its commit looks the email
 * up and adopts the account instead of creating a second one. Fenced by the lease: a worker
 * that lost it sends no create (the job's new holder decides).
 */
async function recordCreate(store: Store, connection: SyncConnection, prepared: Prepared, lease: ClaimedJob): Promise<SyncState> {
  const create = prepared.plan.steps.find((step) => step.op === 'create');
  const previous = prepared.state;
  const state: SyncState = {
    connection: connection.name,
    userId: prepared.userId,
    status: 'pending',
    targetId: null,
    targetEmail: create?.op === 'create' ? create.profile.email : (previous?.targetEmail ?? null),
    role: previous?.role ?? null,
    isManaged: previous?.isManaged ?? false,
    accountStatus: 'absent',
    lastError: previous?.lastError ?? null,
    lastSyncAt: previous?.lastSyncAt ?? null,
    updatedAt: Date.now(),
  };
  if (!(await store.putSyncState(state, lease))) {
    throw new BridgeError('SYNC_BUSY', `the lease on SCIM user ${prepared.userId}'s job was lost: another worker converges them now`, { details: { userId: prepared.userId } });
  }
  return state;
}
