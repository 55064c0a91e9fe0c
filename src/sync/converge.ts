import { pendingHandleOf } from '../connectors/types.js';
import { BridgeError, toBridgeError } from '../errors.js';
import type { ClaimedJob, JobLease, JobRow, Store, SyncState, SyncStatus } from '../directory/store.js';
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
  | { result: 'retry'; error: BridgeError; pendingHandle?: string }
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

/**
 * What convergeJob needs of a job. With a lease token, every sync-state write is fenced by it (a
 * worker that lost its lease writes nothing); a pending handle is a target write an earlier
 * attempt left unfinished, waited for before anything is read or planned.
 */
export type ConvergeJob = Pick<JobRow, 'userId' | 'requestIds' | 'enqueuedAt' | 'reason'> & Partial<Pick<ClaimedJob, 'connection' | 'leaseToken' | 'pendingHandle'>>;

/** Converges the user of one claimed job. */
export async function convergeJob(deps: ConvergeDeps, job: ConvergeJob): Promise<ConvergeOutcome> {
  const { store, connection } = deps;
  const now = deps.now ?? Date.now;
  const call = { ...(deps.signal ? { signal: deps.signal } : {}), ...(job.requestIds.at(-1) ? { requestId: job.requestIds.at(-1) as string } : {}) };
  let prepared: Prepared | null = null;
  let execution: Execution | null = null;
  let pendingHandle = job.pendingHandle ?? undefined;
  try {
    const isSettling = pendingHandle !== undefined && connection.connector.awaitPending !== undefined;
    // Submitting the write again would queue a second task behind the first: wait for it, then
    // look the account up (the task may have created it) and plan against what is there.
    if (isSettling) await connection.connector.awaitPending?.(pendingHandle as string, call);
    pendingHandle = undefined;
    prepared = await prepareUser(store, connection, job.userId, { ...call, lookUpAlways: isSettling });
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
    const pending = pendingHandleOf(error) ?? pendingHandle;
    if (isTransient) return { result: 'retry', error, ...(pending !== undefined ? { pendingHandle: pending } : {}) };
    // Nothing more happens without a change, a recovery or the long backoff: a person should look.
    connection.logger.warn('convergence failed', { userId: job.userId, code: error.code, error: message, state: status });
    return status === 'failed' ? { result: 'failed', error } : { result: 'done', status };
  }
}

async function finish(deps: ConvergeDeps, job: ConvergeJob, prepared: Prepared, execution: Execution, at: number): Promise<ConvergeOutcome> {
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
    await deps.store.deleteSyncState(deps.connection.name, prepared.userId, leaseOf(deps, job));
    return { result: 'done', status: 'gone' };
  }
  // An invitation that is not accepted yet: look again later to link the account (Paradime gives it a uid then).
  return { result: 'done', status, isInvitationPending: execution.account?.status === 'invited' };
}

/** The lease that fences this job's writes, when it was claimed with one. */
function leaseOf(deps: ConvergeDeps, job: ConvergeJob): JobLease | undefined {
  return job.leaseToken === undefined ? undefined : { connection: job.connection ?? deps.connection.name, userId: job.userId, leaseToken: job.leaseToken };
}

/** Writes the sync state (unless the lease was lost) and one audit record (always: the target calls happened). */
async function record(
  deps: ConvergeDeps,
  job: ConvergeJob,
  prepared: Prepared | null,
  execution: Execution | null,
  status: SyncStatus,
  problem: { code: string; message: string } | null,
  calls: CallRecord[] = [],
  note?: string,
  at: number = (deps.now ?? Date.now)(),
): Promise<void> {
  const { store, connection } = deps;
  // Failed before anything was read (a pending task still running): build on the state as stored.
  const previous = prepared ? prepared.state : ((await store.getSyncStates(connection.name, [job.userId]))[0] ?? null);
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
  const isCurrent = await store.putSyncState(state, leaseOf(deps, job));
  if (!isCurrent) connection.logger.warn('job lease lost: another worker converges this user now; this run\'s state is not recorded', { userId: job.userId });
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
        ...(isCurrent ? {} : { leaseLost: true }),
      },
    },
  ]);
}
