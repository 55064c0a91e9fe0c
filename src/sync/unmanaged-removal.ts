import type { CallOptions, TargetAccount } from '../connectors/types.js';
import type { ClaimedJob } from '../directory/store.js';
import { BridgeError, toBridgeError } from '../errors.js';
import type { Decision } from '../mapping/types.js';
import type { ConvergeDeps, ConvergeOutcome } from './converge.js';
import { callsOf, executePlan, type CallRecord, type Execution } from './execute.js';
import { isRemoval, planConvergence, type Plan } from './plan.js';
import type { Prepared } from './prepare.js';
import { admitPlan, HOLD_REFUSED, HoldRequest, isProtectedAccount, LEASE_LOST } from './safety.js';
import { standsBehind } from './unmanaged.js';

/**
 * The job that removes one account nobody manages (`unmanaged: remove`), run by the worker
 * like a user's job. Under the account's target locks (no user's job creates, adopts or links
 * that email or id meanwhile), it reads the account again, asks again whether anyone stands
 * behind it (a SCIM user created since the reconcile, a create in flight), and only then admits
 * the removal exactly as a user's: protection, the last admin and the mass-deprovisioning guard
 * (safety.ts), the steps and their confirmation (execute.ts, removal.ts), one audit record.
 */

const decision: Decision = { kind: 'absent', profile: null, rule: null, reason: 'unmanaged: remove (no SCIM user stands behind this account)' };

/** What one run of the job did, for the audit log. */
type Result =
  | { outcome: 'removed'; plan: Plan; before: TargetAccount; execution: Execution }
  | { outcome: 'skipped'; before: TargetAccount; note: string }
  | { outcome: 'held'; plan: Plan; before: TargetAccount; reason: string }
  | { outcome: 'failed' | 'pending'; before: TargetAccount | null; error: BridgeError; calls: CallRecord[] };

/** Runs the removal job of the unmanaged account with this email. */
export async function removeUnmanaged(deps: ConvergeDeps, job: ClaimedJob, email: string): Promise<ConvergeOutcome> {
  const { store, connection } = deps;
  // The mapping says `report` again (a restart with a new mapping): the job has nothing to do.
  if (connection.unmanaged !== 'remove') return { result: 'done', status: 'gone' };
  const call: CallOptions = deps.signal ? { signal: deps.signal } : {};
  const busy = await store.lockTargets(job, [`email:${email}`]);
  if (busy !== null) return { result: 'busy', reason: `the job of ${busy} is changing the same target account` };
  let before: TargetAccount | null = null;
  let result: Result;
  try {
    before = await connection.connector.findByEmail(email, call);
    // Gone already (removed by hand, or by an earlier run of this job): nothing to do or record.
    if (before === null) return { result: 'done', status: 'gone' };
    result = await removeAccount(deps, job, before, call);
  } catch (err) {
    const error = toBridgeError(err);
    if (error.code === 'SYNC_BUSY') return { result: 'busy', reason: error.message };
    const isTransient = error.isTransient && Date.now() - job.enqueuedAt < connection.settings.maxRetryAgeMs;
    result = { outcome: isTransient ? 'pending' : 'failed', before, error, calls: callsOf(err) };
  }
  // Held only while the job is still this claim (fenced, like its completion); else it runs again.
  const hold = result.outcome === 'held' ? await store.holdJob(job, result.reason) : 'held';
  if (hold === 'changed') return { result: 'busy', reason: HOLD_REFUSED };
  if (hold === 'lease-lost') {
    // Another worker runs this removal now: this run is audited as one that lost its lease, and does nothing more.
    connection.logger.warn(LEASE_LOST, { userId: job.userId });
    await audit(deps, job, result, true);
    return { result: 'busy', reason: HOLD_REFUSED };
  }
  await audit(deps, job, result);
  return outcomeOf(deps, job, result);
}

/** Re-checks, admits and removes one account; a hold is a result, a failed call throws. */
async function removeAccount(deps: ConvergeDeps, job: ClaimedJob, account: TargetAccount, call: CallOptions): Promise<Result> {
  const { store, connection } = deps;
  if (account.id !== null) {
    const busy = await store.lockTargets(job, [`email:${account.email.toLowerCase()}`, `id:${account.id}`]);
    if (busy !== null) throw new BridgeError('SYNC_BUSY', `the job of ${busy} is changing the same target account`, { retryAfterMs: 1_000 });
  }
  const claim = await standsBehind(store, connection, account);
  if (claim !== null) return { outcome: 'skipped', before: account, note: `not removed: ${claim}` };
  if (isProtectedAccount(connection, account)) return { outcome: 'skipped', before: account, note: 'not removed: the account is protected' };
  const capabilities = connection.connector.capabilities;
  const plan = planConvergence({ decision, account, previousStatus: null, capabilities });
  const safety = { store, connection, guard: deps.guard, userId: job.userId, state: null, decision, isApproved: job.reason === 'approved', isStrict: false };
  let admitted: Awaited<ReturnType<typeof admitPlan>>;
  try {
    admitted = await admitPlan(safety, plan, account);
  } catch (err) {
    if (err instanceof HoldRequest) return { outcome: 'held', plan, before: account, reason: err.message };
    throw err;
  }
  if (!isRemoval(admitted.plan, capabilities) || admitted.account === null) return { outcome: 'skipped', before: account, note: `not removed: ${admitted.plan.summary}` };
  const prepared: Prepared = {
    userId: job.userId,
    user: null,
    state: null,
    input: { userId: job.userId, userName: account.email, active: false, isDeleted: true, attributes: {}, groups: [] },
    decision,
    account: admitted.account,
    isAccountUnverified: false,
    plan: admitted.plan,
  };
  const execution = await executePlan(connection, prepared, call);
  return { outcome: 'removed', plan: admitted.plan, before: account, execution };
}

function outcomeOf(deps: ConvergeDeps, job: ClaimedJob, result: Result): ConvergeOutcome {
  const { connection } = deps;
  const email = result.before?.email ?? job.userId;
  switch (result.outcome) {
    case 'removed':
      connection.logger.info('unmanaged account removed', { email, steps: result.plan.steps.map((s) => s.op) });
      return { result: 'done', status: 'gone' };
    case 'skipped':
      connection.logger.info('unmanaged account kept', { email, reason: result.note });
      return { result: 'done', status: 'gone' };
    case 'held':
      connection.logger.warn('removal held', { userId: job.userId, email, reason: result.reason });
      return { result: 'held', reason: result.reason };
    case 'pending':
      return { result: 'retry', error: result.error };
    case 'failed':
      connection.logger.warn('unmanaged account removal failed', { email, code: result.error.code, error: result.error.message });
      return { result: 'failed', error: result.error };
  }
}

/** One audit record per run that read the account: what was found, what was decided, the calls. */
async function audit(deps: ConvergeDeps, job: ClaimedJob, result: Result, isLeaseLost = false): Promise<void> {
  const { connection } = deps;
  const plan = result.outcome === 'removed' || result.outcome === 'held' ? result.plan : null;
  const calls = result.outcome === 'removed' ? result.execution.calls : result.outcome === 'failed' || result.outcome === 'pending' ? result.calls : [];
  const problem = result.outcome === 'held' ? { code: 'HELD', message: result.reason }
    : result.outcome === 'failed' || result.outcome === 'pending' ? { code: result.error.code, message: result.error.message }
    : null;
  await deps.store.appendAudit([
    {
      at: Date.now(),
      connection: connection.name,
      userId: job.userId,
      requestIds: [],
      decision: {
        unmanaged: true,
        decision,
        plan,
        removal: plan !== null && isRemoval(plan, connection.connector.capabilities),
        before: result.before,
        after: result.outcome === 'removed' ? result.execution.account : result.before,
        calls,
        outcome: result.outcome,
        ...(problem ? { error: problem } : {}),
        ...(result.outcome === 'skipped' ? { note: result.note } : {}),
        ...(isLeaseLost ? { leaseLost: true } : {}),
      },
    },
  ]);
}
