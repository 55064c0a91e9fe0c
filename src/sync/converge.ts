import { pendingHandleOf, type TargetAccount } from '../connectors/types.js';
import { BridgeError, isBridgeError, toBridgeError } from '../errors.js';
import type { AuditRecord, ClaimedJob, JobLease, Store, SyncState, SyncStatus } from '../directory/store.js';
import { applyUser } from './apply.js';
import type { SyncConnection } from './connection.js';
import type { CallRecord, Execution } from './execute.js';
import type { RemovalGuard } from './guard.js';
import type { SyncEvent } from './notifier.js';
import { isRemoval } from './plan.js';
import { knownUser, loadUser, type Prepared } from './prepare.js';
import { HOLD_REFUSED, isManageable, LEASE_LOST } from './safety.js';
import { unmanagedEmailOf } from './unmanaged.js';
import { removeUnmanaged } from './unmanaged-removal.js';
import { isReportedAtWarn } from './write-log.js';

/**
 * Converging one user: apply the plan (apply.ts: target locks, read, admit, execute), then
 * record the sync state and one audit record. Returns what the worker should do with the job.
 * Every sync-state write is fenced by the job's lease: a worker that lost it records nothing.
 */

/** What became of one job. */
export type ConvergeOutcome =
  /** `isJobSettled`: the job was completed with the run's record, in one transaction (the worker has nothing left to do with it). */
  | { result: 'done'; status: SyncStatus | 'gone'; isInvitationPending?: boolean; isJobSettled?: boolean }
  | { result: 'wait'; reason: string; isJobSettled?: boolean }
  | { result: 'retry'; error: BridgeError; pendingHandle?: string }
  /** A permanent error (or a transient one past `sync.maxRetryAgeMs`): the user is `failed`, retried on the long backoff. */
  | { result: 'failed'; error: BridgeError }
  | { result: 'held'; reason: string }
  /**
   * Another job holds the same target account or email, or a hold was refused (the user changed
   * since the claim: nothing recorded; or the lease was lost: audited as such): run again shortly.
   */
  | { result: 'busy'; reason: string };

/** What {@link convergeJob} needs. */
export interface ConvergeDeps {
  store: Store;
  connection: SyncConnection;
  guard: RemovalGuard;
  now?: () => number;
  signal?: AbortSignal;
}

type JobInfo = ClaimedJob;

/**
 * How old the job's oldest change is now: its age at the claim, both times on the database's
 * clock, plus the run's time so far on this host's monotonic clock. A host clock that is ahead or
 * behind never makes a change look older (given up too soon) or younger (retried forever).
 */
function changeAge(job: JobInfo, runStarted: number): number {
  return Math.max(0, job.claimedAt - job.enqueuedAt) + (performance.now() - runStarted);
}

/** Converges the user of one claimed job. */
export async function convergeJob(deps: ConvergeDeps, job: ClaimedJob): Promise<ConvergeOutcome> {
  const { store, connection } = deps;
  const now = deps.now ?? Date.now;
  const runStarted = performance.now();
  const age = (): number => changeAge(job, runStarted);
  // Not a SCIM user's job: the removal of an account nobody manages (unmanaged.ts).
  const unmanagedEmail = unmanagedEmailOf(job.userId);
  if (unmanagedEmail !== null) return removeUnmanaged(deps, job, unmanagedEmail);
  const call = { ...(deps.signal ? { signal: deps.signal } : {}), ...(job.requestIds.at(-1) ? { requestId: job.requestIds.at(-1) as string } : {}) };
  // The claim read the input already, as a rule (a change since then makes the job run again).
  const known = job.input ? knownUser(job.userId, job.input) : await loadUser(store, connection, job.userId).catch((err: unknown) => err as Error);
  if (known instanceof Error) return failed(deps, job, null, isBridgeError(known) ? known : new BridgeError('INTERNAL', known.message, { cause: known }), [], now(), age(), job.pendingHandle ?? undefined);
  if (!known) return settleGone(deps, job, call, age());
  const applied = await applyUser({ store, connection, guard: deps.guard, lease: job, isApproved: job.reason === 'approved', isStrict: false, call, ...(job.pendingHandle ? { pendingHandle: job.pendingHandle } : {}) }, known);
  if (applied.kind === 'executed') return finish(deps, job, applied.prepared, applied.execution, now());
  if (applied.kind === 'held') {
    const hold = await store.holdJob(job, applied.reason);
    if (hold === 'changed') return { result: 'busy', reason: HOLD_REFUSED };
    // A lost lease records as any such run: no state written, the audit says leaseLost, a warn line says so.
    await record(deps, job, applied.prepared, null, 'held', { code: 'HELD', message: applied.reason }, applied.calls);
    if (hold === 'lease-lost') return { result: 'busy', reason: HOLD_REFUSED };
    connection.logger.warn('removal held', { connection: connection.name, userId: job.userId, userName: applied.prepared.input.userName, reason: applied.reason, requestId: job.requestIds.at(-1) ?? null });
    return { result: 'held', reason: applied.reason };
  }
  if (applied.error.code === 'SYNC_BUSY') return { result: 'busy', reason: applied.error.message };
  return failed(deps, job, applied.prepared, applied.error, applied.calls, now(), age(), applied.pendingHandle);
}

/**
 * A job whose user is not in the directory (deleted, or a strict create that was never stored)
 * but whose last attempt left a target write pending: the job goes only once that write is
 * final, so the next attempt for this person (the IdP's retried create) finds what it did
 * instead of submitting it again.
 */
async function settleGone(deps: ConvergeDeps, job: JobInfo, call: { signal?: AbortSignal; requestId?: string }, age: number): Promise<ConvergeOutcome> {
  const { connector } = deps.connection;
  if (job.pendingHandle === null || connector.awaitPending === undefined) return { result: 'done', status: 'gone' };
  try {
    await connector.awaitPending(job.pendingHandle, call);
    await deps.store.settlePending(job, job.pendingHandle);
  } catch (err) {
    const error = toBridgeError(err);
    if (error.isTransient && age < deps.connection.settings.maxRetryAgeMs) return { result: 'retry', error, pendingHandle: pendingHandleOf(error) ?? job.pendingHandle };
  }
  return { result: 'done', status: 'gone' };
}

/** Records a failure; a transient one is retried (keeping a target write still pending), a permanent one waits for the long backoff. */
async function failed(
  deps: ConvergeDeps,
  job: JobInfo,
  prepared: Prepared | null,
  error: BridgeError,
  calls: CallRecord[],
  at: number,
  age: number,
  unsettled?: string,
): Promise<ConvergeOutcome> {
  const isTransient = error.isTransient && age < deps.connection.settings.maxRetryAgeMs;
  const status: SyncStatus = isTransient ? 'pending' : error.code === 'UNSUPPORTED_OPERATION' ? 'unsupported' : 'failed';
  const message = error.isTransient && !isTransient ? `${error.message} (gave up after ${Math.round(age / 60_000)} min)` : error.message;
  await record(deps, job, prepared, null, status, { code: error.code, message }, calls, undefined, at, conflictEmailOf(error));
  const pending = pendingHandleOf(error) ?? unsettled;
  if (isTransient) return { result: 'retry', error, ...(pending !== undefined ? { pendingHandle: pending } : {}) };
  // Nothing more happens without a change, a recovery or the long backoff: a person should look
  // (told once: a write that failed for good has said so already, write-log.ts).
  if (!isReportedAtWarn(error)) {
    deps.connection.logger.warn('convergence failed', { connection: deps.connection.name, userId: job.userId, userName: prepared?.input.userName ?? null, code: error.code, error: message, state: status, requestId: job.requestIds.at(-1) ?? null });
  }
  return status === 'failed' ? { result: 'failed', error } : { result: 'done', status };
}

/** The email another user holds, when the error is the one-account-one-person refusal. */
function conflictEmailOf(error: BridgeError): string | undefined {
  const email = error.details.email;
  return error.code === 'TARGET_CONFLICT' && typeof email === 'string' && email !== '' ? email : undefined;
}

async function finish(deps: ConvergeDeps, job: JobInfo, prepared: Prepared, execution: Execution, at: number): Promise<ConvergeOutcome> {
  const { plan } = execution;
  if (plan.kind === 'wait') {
    const { isSettled } = await record(deps, job, prepared, execution, 'pending', null, execution.calls, plan.summary, undefined, undefined, true);
    return { result: 'wait', reason: plan.summary, isJobSettled: isSettled };
  }
  const status: SyncStatus = plan.kind === 'converge' ? 'synced' : 'unsupported';
  const problem = plan.kind === 'unsupported' ? { code: 'UNSUPPORTED_OPERATION', message: plan.summary }
    : plan.kind === 'protected' ? { code: 'PROTECTED_ACCOUNT', message: plan.summary }
    : null;
  const gone = prepared.input.isDeleted && (execution.account === null || execution.account.status === 'disabled' || prepared.decision.kind === 'keep') && prepared.user !== null && plan.kind === 'converge';
  // The common end of a job (nothing more to write for it) completes it with the record, in one transaction.
  const { state, isSettled } = await record(deps, job, prepared, execution, plan.kind === 'protected' ? 'unsupported' : status, problem, execution.calls, undefined, at, undefined, !gone);
  if (gone) {
    // The IdP deleted the user and the target agrees: forget them (the audit log keeps the story).
    await deps.store.purgeUser(deps.connection.name, prepared.userId);
    await deps.store.deleteSyncState(deps.connection.name, prepared.userId, leaseOf(job));
    await wakeClaimants(deps, prepared.userId, prepared.state?.targetEmail ?? state.targetEmail);
    return { result: 'done', status: 'gone' };
  }
  if (state.accountStatus === 'absent' && prepared.state && prepared.state.accountStatus !== 'absent') await wakeClaimants(deps, prepared.userId, state.targetEmail);
  // An invitation that is not accepted yet: look again later to link the account (Paradime gives it a uid then).
  return { result: 'done', status, isInvitationPending: execution.account?.status === 'invited', isJobSettled: isSettled };
}

/** The lease that fences a job's writes. */
function leaseOf(job: JobInfo): JobLease {
  return { connection: job.connection, userId: job.userId, leaseToken: job.leaseToken };
}

/** Users refused because this one held the email: now that it let go, they run again. */
async function wakeClaimants(deps: ConvergeDeps, userId: string, email: string | null): Promise<void> {
  if (!email) return;
  const waiting = (await deps.store.findSyncStatesByTargetEmail(deps.connection.name, email)).filter((s) => s.userId !== userId && s.lastError?.code === 'TARGET_CONFLICT');
  if (waiting.length > 0) await deps.store.enqueueJobs(deps.connection.name, 'reconcile', waiting.map((s) => s.userId));
}

/** The sync state a run leaves (shared by the worker and strict mode). */
export function stateAfter(
  connection: SyncConnection,
  userId: string,
  prepared: Prepared | null,
  execution: Execution | null,
  status: SyncStatus,
  problem: { code: string; message: string } | null,
  at: number,
  conflictEmail?: string,
  previous: SyncState | null = prepared?.state ?? null,
): SyncState {
  const account = execution ? execution.account : (prepared?.account ?? null);
  const expected = (execution?.plan ?? prepared?.plan)?.expected;
  const isSuccess = status === 'synced' || status === 'unsupported';
  return {
    connection: connection.name,
    userId,
    status,
    ...linkAfter(prepared, previous, execution, account, expected?.accountStatus, conflictEmail),
    role: isSuccess ? (account?.role ?? expected?.role ?? null) : (previous?.role ?? account?.role ?? null),
    isManaged: (previous?.isManaged ?? false) || ((execution?.linked ?? false) && isManageable(account)),
    lastError: problem,
    lastSyncAt: isSuccess ? at : (previous?.lastSyncAt ?? null),
    updatedAt: at,
    ...(prepared?.decision.warnings?.length ? { warnings: prepared.decision.warnings } : {}),
  };
}

/**
 * Which account the state points at. After the steps: the account they left. Without steps:
 * the account found (or, when the lookup found none, no account: a re-created person must never
 * be linked to an account that is gone), else what was recorded. Refused for another user's
 * account: no account, and that email, so the user is told again when the other lets go.
 */
function linkAfter(
  prepared: Prepared | null,
  previous: SyncState | null,
  execution: Execution | null,
  account: TargetAccount | null,
  expectedStatus: SyncState['accountStatus'] | undefined,
  conflictEmail: string | undefined,
): Pick<SyncState, 'targetId' | 'targetEmail' | 'accountStatus'> {
  if (conflictEmail !== undefined) return { targetId: null, targetEmail: conflictEmail, accountStatus: 'absent' };
  // A deleted account keeps its email here: a reactivation looks it up by that email first.
  const targetEmail = account?.email ?? previous?.targetEmail ?? null;
  if (execution) return { targetId: account?.id ?? null, targetEmail, accountStatus: account?.status ?? (expectedStatus === 'disabled' ? 'disabled' : 'absent') };
  if (account) return { targetId: account.id, targetEmail, accountStatus: account.status };
  if (prepared && !prepared.isAccountUnverified) {
    // Paradime lists disabled users nowhere: a disabled account that is not found is still there.
    const isDisabled = previous?.accountStatus === 'disabled';
    return { targetId: isDisabled ? previous.targetId : null, targetEmail, accountStatus: isDisabled ? 'disabled' : 'absent' };
  }
  return { targetId: previous?.targetId ?? null, targetEmail, accountStatus: previous?.accountStatus ?? 'absent' };
}

/**
 * Writes the sync state (unless the lease was lost) and one audit record (always: the target
 * calls happened), and with `complete` the job's completion, in one transaction; returns the
 * state and whether the job was settled with it.
 */
async function record(
  deps: ConvergeDeps,
  job: JobInfo,
  prepared: Prepared | null,
  execution: Execution | null,
  status: SyncStatus,
  problem: { code: string; message: string } | null,
  calls: CallRecord[] = [],
  note?: string,
  at: number = (deps.now ?? Date.now)(),
  conflictEmail?: string,
  complete = false,
): Promise<{ state: SyncState; isSettled: boolean }> {
  const { store, connection } = deps;
  const account = execution ? execution.account : (prepared?.account ?? null);
  // Failed before anything was read (a pending task still running, the store away): build on the state as stored.
  const previous = prepared ? prepared.state : ((await store.getSyncStates(connection.name, [job.userId]))[0] ?? null);
  const wanted = stateAfter(connection, job.userId, prepared, execution, status, problem, at, conflictEmail, previous);
  const auditOf = (state: SyncState, isCurrent: boolean): AuditRecord => ({
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
      outcome: state.status,
      ...(state.lastError ? { error: state.lastError } : {}),
      ...(note ? { note } : {}),
      // Released from a hold: who let it through (`scim-bridge approve --by`).
      ...(job.reason === 'approved' ? { approvedBy: job.approvedBy ?? null } : {}),
      ...(isCurrent ? {} : { leaseLost: true }),
    },
  });
  let state = wanted;
  let isCurrent: boolean;
  let isSettled = false;
  // What needs a person is queued with the state that says so, in the same transaction.
  const event = eventIfNew(connection, job, prepared, previous, wanted);
  const notifications = event ? connection.notifier.rowsOf(event) : [];
  try {
    ({ isCurrent } = await store.recordRun(job, { state: wanted, audit: (current) => auditOf(wanted, current), complete, notifications }));
    isSettled = complete;
    if (isCurrent && notifications.length > 0) connection.notifier.queued();
  } catch (err) {
    if (!isRefusedLink(err, wanted)) throw err;
    // Nothing was written: record the state unlinked (putLinkedState), then the audit; the worker completes the job.
    ({ state, isCurrent } = await putLinkedState(store, wanted, leaseOf(job)));
    await store.appendAudit([auditOf(state, isCurrent)]);
    // This last line of defence writes apart from the run's transaction: its event follows the same way.
    const unlinked = isCurrent ? eventIfNew(connection, job, prepared, previous, state) : null;
    if (unlinked) await connection.notifier.emit(unlinked);
  }
  if (!isCurrent) connection.logger.warn(LEASE_LOST, { userId: job.userId });
  else {
    // An IdP assigned a role the target does not have: someone should fix the assignment (said once, while it is new).
    if (state.warnings && JSON.stringify(state.warnings) !== JSON.stringify(previous?.warnings)) connection.logger.warn('assigned values ignored', { userId: job.userId, warnings: state.warnings });
  }
  return { state, isSettled };
}

/** Whether the store refused the state's link (another state holds the account: the unique index, migrations.ts). */
function isRefusedLink(err: unknown, state: SyncState): boolean {
  return isBridgeError(err) && err.code === 'UNIQUENESS' && err.details.attribute === 'targetId' && state.targetId !== null;
}

const needsPerson: ReadonlySet<SyncStatus> = new Set(['failed', 'unsupported', 'held']);

/**
 * The event to tell the connection's notifier when a user becomes failed, unsupported or held,
 * or fails for another reason than before; null for the same failure again (the long-backoff
 * retry is not news) or a state that needs nobody.
 */
function eventIfNew(connection: SyncConnection, job: JobInfo, prepared: Prepared | null, previous: SyncState | null, state: SyncState): SyncEvent | null {
  if (!needsPerson.has(state.status)) return null;
  if (previous?.status === state.status && previous.lastError?.code === state.lastError?.code) return null;
  const kind = state.status === 'held' ? 'held' : state.status === 'unsupported' ? 'unsupported' : 'failed';
  return {
    kind,
    connection: connection.name,
    at: state.updatedAt,
    userId: job.userId,
    ...(prepared?.user ? { userName: prepared.user.userName } : {}),
    ...(state.lastError ? { code: state.lastError.code } : {}),
    message: state.lastError?.message ?? state.status,
    requestIds: job.requestIds,
  };
}

/**
 * Writes a state under the job's lease (`isCurrent` false: the lease was lost, nothing written);
 * when the store refuses its link (another state holds the account: the unique index,
 * migrations.ts), writes it unlinked and failed instead. The target locks make this a last line
 * of defence, not a path a run takes.
 */
export async function putLinkedState(store: Store, state: SyncState, lease: JobLease): Promise<{ state: SyncState; isCurrent: boolean }> {
  try {
    return { state, isCurrent: await store.putSyncState(state, lease) };
  } catch (err) {
    if (!isRefusedLink(err, state) || state.targetId === null) throw err;
    const holder = await store.findSyncStateByTarget(state.connection, state.targetId);
    const message = `${state.targetEmail ?? 'the account'} is already linked to SCIM user ${holder?.userId ?? 'another user'}: a target account belongs to one SCIM user per connection`;
    const unlinked: SyncState = { ...state, status: 'failed', targetId: null, accountStatus: 'absent', isManaged: false, lastError: { code: 'TARGET_CONFLICT', message } };
    return { state: unlinked, isCurrent: await store.putSyncState(unlinked, lease) };
  }
}
