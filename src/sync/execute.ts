import type { CallOptions, TargetAccount } from '../connectors/types.js';
import { BridgeError, toBridgeError } from '../errors.js';
import type { SyncConnection } from './connection.js';
import { planConvergence, type Plan, type Step } from './plan.js';
import type { Prepared } from './prepare.js';
import { confirmRemoval } from './removal.js';
import { logWriteDone, logWriteFailed, type TargetWrite, type WriteSubject } from './write-log.js';

/**
 * Writing side of convergence: runs a plan's steps through the connector, recording every call
 * for the audit log and logging each write once (write-log.ts). A create that meets an existing
 * email adopts the account and plans again.
 */

/** One target call, as the audit log shows it. */
export interface CallRecord {
  op: Step['op'] | 'find';
  detail: string;
  ms: number;
  ok: boolean;
  error?: { code: string; message: string };
}

/** What the steps produced. */
export interface Execution {
  plan: Plan;
  /** The account after the steps (null when deleted or never created). */
  account: TargetAccount | null;
  /** Whether the account was created or adopted by this run. */
  linked: boolean;
  calls: CallRecord[];
}

/**
 * Checks a plan made against an account just adopted, before any of its steps (safety.ts): returns
 * the plan to run, or throws to stop.
 */
export type AdoptionCheck = (plan: Plan, account: TargetAccount) => Promise<Plan>;

/**
 * Runs the steps of a prepared plan; throws the first failing call's error (with the calls so far
 * attached). A create that meets an existing email adopts the account, plans again, and passes
 * the new plan through `admit` before any of its steps.
 */
export async function executePlan(connection: SyncConnection, prepared: Prepared, options: CallOptions = {}, admit?: AdoptionCheck): Promise<Execution> {
  const calls: CallRecord[] = [];
  const record = async <T>(op: CallRecord['op'], detail: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const value = await fn();
      calls.push({ op, detail, ms: Math.round(performance.now() - started), ok: true });
      return value;
    } catch (err) {
      const error = toBridgeError(err);
      calls.push({ op, detail, ms: Math.round(performance.now() - started), ok: false, error: { code: error.code, message: error.message } });
      throw Object.assign(error, { calls });
    }
  };
  let plan = prepared.plan;
  let account = prepared.account;
  let linked = false;
  const write = <T>(fn: () => Promise<T>): Promise<T> => (connection.writeLock ? connection.writeLock.run(fn) : fn());
  const subject: WriteSubject = { userId: prepared.userId, userName: prepared.input.userName, requestId: options.requestId };
  const logged = async (what: TargetWrite, fn: () => Promise<TargetAccount | null>): Promise<TargetAccount | null> => {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      const after = await fn();
      logWriteDone(connection, subject, what, after, ms());
      return after;
    } catch (err) {
      logWriteFailed(connection, subject, what, toBridgeError(err), ms());
      throw err;
    }
  };
  for (let index = 0; index < plan.steps.length; index++) {
    const step = plan.steps[index] as Step;
    if (step.op === 'create') {
      const created = await createOrAdopt(connection, step, options, record, write, subject);
      linked = true;
      if (created.adopted) {
        // The email existed: plan again against the real account (role, name may differ).
        const replanned = planConvergence({ decision: prepared.decision, account: created.account, previousStatus: prepared.state?.accountStatus ?? null, capabilities: connection.connector.capabilities });
        // A refusal or a hold (any Error keeps its class) carries the calls made so far, like a failed call.
        plan = admit ? await admit(replanned, created.account).catch((err: unknown) => Promise.reject(Object.assign(err instanceof Error ? err : toBridgeError(err), { calls }))) : replanned;
        account = created.account;
        index = -1;
        continue;
      }
      account = created.account;
    } else if (step.op === 'update') {
      const current = requireAccount(account);
      const isRoleChange = step.change.role !== undefined;
      const what: TargetWrite = { operation: isRoleChange ? 'role-change' : 'update', email: current.email, roleBefore: current.role, roleAfter: step.change.role ?? current.role, changed: Object.keys(step.change) };
      account = await logged(what, () => write(() => record('update', JSON.stringify(step.change), () => connection.connector.updateAccount(current, step.change, options))));
    } else {
      const current = requireAccount(account);
      const op = step.op;
      const what: TargetWrite = { operation: op, email: current.email, roleBefore: current.role, roleAfter: op === 'delete' ? null : current.role };
      account = await logged(what, async () => {
        const result = await write(() => record(op, current.email, () => (op === 'disable' ? connection.connector.disableAccount(current, options) : connection.connector.deleteAccount(current, options))));
        return confirmRemoval(connection.connector, current, op, result, (detail, read) => record('find', detail, read), options);
      });
    }
  }
  return { plan, account, linked: linked || (account !== null && prepared.account !== null), calls };
}

type Recorder = <T>(op: CallRecord['op'], detail: string, fn: () => Promise<T>) => Promise<T>;

async function createOrAdopt(
  connection: SyncConnection,
  step: Extract<Step, { op: 'create' }>,
  options: CallOptions,
  record: Recorder,
  write: <T>(fn: () => Promise<T>) => Promise<T>,
  subject: WriteSubject,
): Promise<{ account: TargetAccount; adopted: boolean }> {
  const { connector } = connection;
  const { profile, role } = step;
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  const what: TargetWrite = { operation: 'create', email: profile.email, roleBefore: null, roleAfter: role };
  try {
    const account = await write(() =>
      record('create', `${profile.email} as ${role}`, () =>
        connector.createAccount({ email: profile.email, name: profile.name, givenName: profile.givenName, familyName: profile.familyName, role }, options),
      ),
    );
    logWriteDone(connection, subject, what, account, ms());
    return { account, adopted: false };
  } catch (err) {
    if (!(err instanceof BridgeError) || err.code !== 'TARGET_CONFLICT') {
      logWriteFailed(connection, subject, what, toBridgeError(err), ms());
      throw err;
    }
    const existing = await record('find', profile.email, () => connector.findByEmail(profile.email, options)).catch((found: unknown) => {
      logWriteFailed(connection, subject, what, toBridgeError(found), ms());
      throw found;
    });
    // The target says the email exists but does not list it yet: try again later.
    if (!existing) {
      const unlisted = new BridgeError('TARGET_UNAVAILABLE', `the target reports ${profile.email} as taken but does not list it yet`, { cause: err });
      logWriteFailed(connection, subject, what, unlisted, ms());
      throw unlisted;
    }
    // The account existed: the bridge links it (adopts it) instead of creating one; its role is what the target holds.
    logWriteDone(connection, subject, { operation: 'adopt', email: existing.email, roleBefore: existing.role, roleAfter: existing.role }, existing, ms());
    return { account: existing, adopted: true };
  }
}

function requireAccount(account: TargetAccount | null): TargetAccount {
  if (!account) throw new BridgeError('INTERNAL', 'a plan step needs an account that is not there');
  return account;
}

/** The calls recorded before an execution failed (attached to the thrown error). */
export function callsOf(err: unknown): CallRecord[] {
  const calls = (err as { calls?: unknown } | null)?.calls;
  return Array.isArray(calls) ? (calls as CallRecord[]) : [];
}
