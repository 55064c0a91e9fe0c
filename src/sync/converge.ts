import { BridgeError, toBridgeError } from '../errors.js';
import type { JobRow, Store, SyncState, SyncStatus } from '../directory/store.js';
import type { SyncConnection } from './connection.js';
import { callsOf, executePlan, type CallRecord, type Execution } from './execute.js';
import type { RemovalGuard } from './guard.js';
import { isRemoval } from './plan.js';
import { prepareUser, type Prepared } from './prepare.js';

/**
 * Converging one user: prepare (read and plan), guard removals, execute, then record the sync
 * state and one audit record. Returns what the worker should do with the job.
 */

/** What became of one job. */
export type ConvergeOutcome =
  | { result: 'done'; status: SyncStatus | 'gone'; isInvitationPending?: boolean }
  | { result: 'wait'; reason: string }
  | { result: 'retry'; error: BridgeError }
  /** A permanent error (or a transient one past `sync.maxRetryAgeMs`): the user is `failed`, retried on the long backoff. */
  | { result: 'failed'; error: BridgeError }
  | { result: 'held'; reason: string };

/** What {@link convergeJob} needs. */
export interface ConvergeDeps {
  store: Store;
  connection: SyncConnection;
  guard: RemovalGuard;
  now?: () => number;
  signal?: AbortSignal;
}

/** Converges the user of one claimed job. */
export async function convergeJob(deps: ConvergeDeps, job: Pick<JobRow, 'userId' | 'requestIds' | 'enqueuedAt' | 'reason'>): Promise<ConvergeOutcome> {
  const { store, connection } = deps;
  const now = deps.now ?? Date.now;
  const call = { ...(deps.signal ? { signal: deps.signal } : {}), ...(job.requestIds.at(-1) ? { requestId: job.requestIds.at(-1) as string } : {}) };
  let prepared: Prepared | null = null;
  let execution: Execution | null = null;
  try {
    prepared = await prepareUser(store, connection, job.userId, call);
    if (!prepared) return { result: 'done', status: 'gone' };
    const { plan } = prepared;
    if (plan.steps.length > 0 && prepared.account?.protection && prepared.account.protection !== 'last-admin') {
      throw new BridgeError('PROTECTED_ACCOUNT', `${prepared.account.email} is protected by the target (${prepared.account.protection}): the bridge never changes it`);
    }
    if (isRemoval(plan, connection.connector.capabilities) || (plan.steps.length > 0 && prepared.account?.protection === 'last-admin')) {
      const admitted = prepared.account?.protection === 'last-admin'
        ? { ok: false as const, reason: `${prepared.account.email} is the last admin of the target: approve with "scim-bridge approve --connection ${connection.name}"` }
        : await deps.guard.admit(connection, job.reason === 'approved');
      if (!admitted.ok && job.reason !== 'approved') {
        await store.holdJobs(connection.name, [job.userId], admitted.reason);
        await record(deps, job, prepared, null, 'held', { code: 'HELD', message: admitted.reason });
        connection.logger.warn('removal held', { userId: job.userId, reason: admitted.reason });
        return { result: 'held', reason: admitted.reason };
      }
    }
    execution = await executePlan(connection, prepared, call);
    return await finish(deps, job, prepared, execution, now());
  } catch (err) {
    const error = toBridgeError(err);
    const calls = execution?.calls ?? callsOf(err);
    const age = now() - job.enqueuedAt;
    const isTransient = error.isTransient && age < connection.settings.maxRetryAgeMs;
    const status: SyncStatus = isTransient ? 'pending' : error.code === 'UNSUPPORTED_OPERATION' ? 'unsupported' : 'failed';
    const message = error.isTransient && !isTransient ? `${error.message} (gave up after ${Math.round(age / 60_000)} min)` : error.message;
    await record(deps, job, prepared, null, status, { code: error.code, message }, calls);
    if (isTransient) return { result: 'retry', error };
    // Nothing more happens without a change, a recovery or the long backoff: a person should look.
    connection.logger.warn('convergence failed', { userId: job.userId, code: error.code, error: message, state: status });
    return status === 'failed' ? { result: 'failed', error } : { result: 'done', status };
  }
}

async function finish(deps: ConvergeDeps, job: Pick<JobRow, 'userId' | 'requestIds'>, prepared: Prepared, execution: Execution, at: number): Promise<ConvergeOutcome> {
  const { plan } = execution;
  if (plan.kind === 'wait') {
    await record(deps, job, prepared, execution, 'pending', null, execution.calls, plan.summary);
    return { result: 'wait', reason: plan.summary };
  }
  const status: SyncStatus = plan.kind === 'converge' ? 'synced' : 'unsupported';
  const problem = plan.kind === 'unsupported' ? { code: 'UNSUPPORTED_OPERATION', message: plan.summary }
    : plan.kind === 'protected' ? { code: 'PROTECTED_ACCOUNT', message: plan.summary }
    : null;
  await record(deps, job, prepared, execution, plan.kind === 'protected' ? 'unsupported' : status, problem, execution.calls, undefined, at);
  const gone = prepared.input.isDeleted && (execution.account === null || execution.account.status === 'disabled' || prepared.decision.kind === 'keep');
  if (gone && prepared.user && plan.kind === 'converge') {
    // The IdP deleted the user and the target agrees: forget them (the audit log keeps the story).
    await deps.store.purgeUser(deps.connection.name, prepared.userId);
    await deps.store.deleteSyncState(deps.connection.name, prepared.userId);
    return { result: 'done', status: 'gone' };
  }
  // An invitation that is not accepted yet: look again later to link the account (Paradime gives it a uid then).
  return { result: 'done', status, isInvitationPending: execution.account?.status === 'invited' };
}

/** Writes the sync state and one audit record. */
async function record(
  deps: ConvergeDeps,
  job: Pick<JobRow, 'userId' | 'requestIds'>,
  prepared: Prepared | null,
  execution: Execution | null,
  status: SyncStatus,
  problem: { code: string; message: string } | null,
  calls: CallRecord[] = [],
  note?: string,
  at: number = (deps.now ?? Date.now)(),
): Promise<void> {
  const { store, connection } = deps;
  const previous = prepared?.state ?? null;
  const account = execution ? execution.account : (prepared?.account ?? null);
  const expected = (execution?.plan ?? prepared?.plan)?.expected;
  const isSuccess = status === 'synced' || status === 'unsupported';
  const state: SyncState = {
    connection: connection.name,
    userId: job.userId,
    status,
    targetId: account?.id ?? (execution ? null : (previous?.targetId ?? null)),
    // A deleted account keeps its email here: a reactivation looks it up by that email first.
    targetEmail: account?.email ?? previous?.targetEmail ?? null,
    role: isSuccess ? (account?.role ?? expected?.role ?? null) : (previous?.role ?? account?.role ?? null),
    isManaged: (previous?.isManaged ?? false) || (execution?.linked ?? false),
    accountStatus: execution ? (account?.status ?? (expected?.accountStatus === 'disabled' ? 'disabled' : 'absent')) : (previous?.accountStatus ?? account?.status ?? 'absent'),
    lastError: problem,
    lastSyncAt: isSuccess ? at : (previous?.lastSyncAt ?? null),
    updatedAt: at,
  };
  await store.putSyncState(state);
  await store.appendAudit([
    {
      at,
      connection: connection.name,
      userId: job.userId,
      requestIds: job.requestIds,
      decision: {
        decision: prepared?.decision ?? null,
        plan: execution?.plan ?? prepared?.plan ?? null,
        removal: execution ? isRemoval(execution.plan, connection.connector.capabilities) : false,
        before: prepared?.account ?? null,
        after: account,
        calls,
        outcome: status,
        ...(problem ? { error: problem } : {}),
        ...(note ? { note } : {}),
      },
    },
  ]);
}
