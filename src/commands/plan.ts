import type { TargetAccount } from '../connectors/types.js';
import type { Store } from '../directory/store.js';
import { isBridgeError, toBridgeError, type BridgeError } from '../errors.js';
import type { Decision } from '../mapping/types.js';
import type { SyncConnection } from '../sync/connection.js';
import { isRemoval, type Plan, type Step } from '../sync/plan.js';
import { prepareUser } from '../sync/prepare.js';
import { admitPlan, HoldRequest } from '../sync/safety.js';
import { processIo, type CliIo } from './context.js';
import { renderPlans } from './plan-report.js';
import { openRuntime, type RuntimeOptions } from './runtime.js';
import { allUserIds } from './users.js';

/**
 * `scim-bridge plan`: the dry run. For every user of a connection (live and tombstoned), reads
 * the target and plans exactly as convergence would (`prepareUser`), admits the plan where the
 * worker does (`admitPlan`: an account linked to another SCIM user, a protected account, the last
 * admin), and prints the result. Only reads reach the target and the store: nothing here can call
 * a connector's write methods, and the mass-deprovisioning guard's window is not counted.
 */

/** Options of `scim-bridge plan`. */
export interface PlanOptions extends RuntimeOptions {
  json?: boolean;
}

/** One user of a plan, as printed and as `--json` gives it. */
export interface PlannedUser {
  userId: string;
  userName: string;
  active: boolean;
  deleted: boolean;
  decision: {
    kind: Decision['kind'];
    role: string | null;
    rule: number | null;
    reason: string;
    /** The rule that decided is `assigned: roles`: the IdP's assignment gives this role. */
    assigned?: true;
    /** What the mapping ignored (an assigned role the target does not have). */
    warnings?: string[];
  } | null;
  account: Pick<TargetAccount, 'id' | 'email' | 'role' | 'status' | 'protection'> | null;
  /**
   * `refused`: the worker would refuse the plan before any step (`code` says why: TARGET_CONFLICT,
   * PROTECTED_ACCOUNT) and record the user `failed`; `held`: it would wait for `scim-bridge approve`.
   */
  plan: { kind: PlanKind; summary: string; steps: { op: Step['op']; detail: string }[]; removal: boolean; code?: string } | null;
  error?: { code: string; message: string };
}

/** What a planned user's plan is: the planner's kinds, and what admitting it decided. */
export type PlanKind = Plan['kind'] | 'refused' | 'held';

/** What convergence would do, counted. */
export interface PlanTotals {
  users: number;
  creates: number;
  updates: number;
  removals: number;
  waits: number;
  unsupported: number;
  protected: number;
  refused: number;
  held: number;
  inSync: number;
  errors: number;
}

/** The plan of one connection; `error` when the target could not be read at all. */
export interface ConnectionPlan {
  connection: string;
  type: string;
  users: PlannedUser[];
  totals: PlanTotals;
  error?: { code: string; message: string };
}

// Errors that say the whole target is out of reach: planning the next user would only fail again.
const targetWide = new Set(['TARGET_UNAVAILABLE', 'TARGET_TIMEOUT', 'TARGET_AUTH', 'TARGET_INVALID_RESPONSE']);

/** Runs `scim-bridge plan`; returns the exit code (1 when a target could not be read). */
export async function planCommand(options: PlanOptions, io: CliIo = processIo): Promise<number> {
  const runtime = await openRuntime(options);
  try {
    const plans: ConnectionPlan[] = [];
    for (const connection of runtime.connections) plans.push(await planConnection(runtime.store, connection));
    io.stdout.write(options.json ? `${JSON.stringify({ connections: plans }, null, 2)}\n` : renderPlans(plans));
    return plans.some((p) => p.error !== undefined || p.totals.errors > 0) ? 1 : 0;
  } finally {
    await runtime.close();
  }
}

/** Plans every user of one connection, `concurrency` users at a time, in user-id order. */
export async function planConnection(store: Store, connection: SyncConnection): Promise<ConnectionPlan> {
  const ids = await allUserIds(store, connection.name);
  const planned: (PlannedUser | null)[] = [];
  let fatal: BridgeError | null = null;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (fatal === null && next < ids.length) {
      const index = next++;
      const userId = ids[index] as string;
      try {
        planned[index] = await planUser(store, connection, userId);
      } catch (err) {
        const error = toBridgeError(err);
        if (targetWide.has(error.code)) fatal ??= error;
        else planned[index] = await failedUser(store, connection.name, userId, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(connection.concurrency, ids.length)) }, worker));
  const users = planned
    .filter((u): u is PlannedUser => u !== null && u !== undefined)
    .sort((a, b) => a.userName.localeCompare(b.userName) || a.userId.localeCompare(b.userId));
  const failure = fatal as BridgeError | null;
  return {
    connection: connection.name,
    type: connection.type,
    users,
    totals: tally(users),
    ...(failure ? { error: { code: failure.code, message: `cannot read the target: ${failure.message}` } } : {}),
  };
}

async function planUser(store: Store, connection: SyncConnection, userId: string): Promise<PlannedUser | null> {
  const prepared = await prepareUser(store, connection, userId, { lookUpAlways: true });
  if (!prepared) return null;
  const { decision, input } = prepared;
  const admitted = await admit(store, connection, prepared);
  const { account, plan } = admitted;
  const steps = plan.steps.map((step) => ({ op: step.op, detail: describeStep(step) }));
  const removal = isRemoval(plan, connection.connector.capabilities);
  return {
    userId,
    userName: input.userName,
    active: input.active,
    deleted: input.isDeleted,
    decision: {
      kind: decision.kind,
      role: decision.kind === 'present' ? decision.role : null,
      rule: decision.rule?.index ?? null,
      reason: decision.reason,
      ...(decision.rule?.isAssigned ? { assigned: true as const } : {}),
      ...(decision.warnings?.length ? { warnings: decision.warnings } : {}),
    },
    account: account ? { id: account.id, email: account.email, role: account.role, status: account.status, ...(account.protection ? { protection: account.protection } : {}) } : null,
    plan:
      admitted.refusal === undefined
        ? { kind: plan.kind, summary: plan.summary, steps, removal }
        : admitted.refusal.kind === 'held'
          ? { kind: 'held', summary: admitted.refusal.message, steps, removal }
          : { kind: 'refused', summary: admitted.refusal.message, steps: [], removal: false, code: admitted.refusal.code },
  };
}

/**
 * The plan as the worker would admit it (sync/safety.ts, the one place), against the account the
 * plan found (`lookUpAlways`: as after an adoption). A refusal or a hold is reported, not thrown.
 */
async function admit(
  store: Store,
  connection: SyncConnection,
  prepared: NonNullable<Awaited<ReturnType<typeof prepareUser>>>,
): Promise<{ plan: Plan; account: TargetAccount | null; refusal?: { kind: 'refused' | 'held'; code: string; message: string } }> {
  const context = { store, connection, guard: null, userId: prepared.userId, state: prepared.state, decision: prepared.decision, isApproved: false, isStrict: false };
  try {
    return await admitPlan(context, prepared.plan, prepared.account);
  } catch (err) {
    if (err instanceof HoldRequest) return { plan: prepared.plan, account: prepared.account, refusal: { kind: 'held', code: 'HELD', message: err.message } };
    if (isBridgeError(err) && (err.code === 'TARGET_CONFLICT' || err.code === 'PROTECTED_ACCOUNT')) {
      return { plan: prepared.plan, account: prepared.account, refusal: { kind: 'refused', code: err.code, message: err.message } };
    }
    throw err;
  }
}

async function failedUser(store: Store, connection: string, userId: string, error: BridgeError): Promise<PlannedUser> {
  const user = await store.getUser(connection, userId, { includeDeleted: true }).catch(() => null);
  return {
    userId,
    userName: user?.userName ?? userId,
    active: user?.active ?? false,
    deleted: user?.deleted ?? true,
    decision: null,
    account: null,
    plan: null,
    error: { code: error.code, message: error.message },
  };
}

/** `create ada@example.com as Owner`, `update role to Member, name to Ada`, `disable`, `delete`. */
export function describeStep(step: Step): string {
  switch (step.op) {
    case 'create':
      return `create ${step.profile.email} as ${step.role}`;
    case 'update':
      return `update ${Object.entries(step.change).map(([key, value]) => `${key} to ${String(value)}`).join(', ')}`;
    case 'disable':
    case 'delete':
      return step.op;
  }
}

/** Counts what the plans would do; a plan counts once, under its most consequential heading. */
export function tally(users: readonly PlannedUser[]): PlanTotals {
  const totals: PlanTotals = { users: users.length, creates: 0, updates: 0, removals: 0, waits: 0, unsupported: 0, protected: 0, refused: 0, held: 0, inSync: 0, errors: 0 };
  for (const { plan } of users) {
    if (!plan) totals.errors++;
    else if (plan.kind === 'refused') totals.refused++;
    else if (plan.kind === 'held') totals.held++;
    else if (plan.kind === 'wait') totals.waits++;
    else if (plan.kind === 'unsupported') totals.unsupported++;
    else if (plan.kind === 'protected') totals.protected++;
    else if (plan.steps.length === 0) totals.inSync++;
    else if (plan.removal) totals.removals++;
    else if (plan.steps.some((s) => s.op === 'create')) totals.creates++;
    else totals.updates++;
  }
  return totals;
}
