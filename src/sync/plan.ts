import { hasRole, type AccountChange, type AccountStatus, type ConnectorCapabilities, type TargetAccount } from '../connectors/types.js';
import type { Decision, DesiredProfile } from '../mapping/types.js';

/**
 * The convergence planner (pure): from what the mapping wants, what the target holds and what
 * the target can do, the least work. No I/O; `scim-bridge plan` prints exactly this.
 */

/** One call to make in the target. */
export type Step =
  | { op: 'create'; role: string; profile: DesiredProfile }
  | { op: 'update'; change: AccountChange }
  | { op: 'disable' }
  | { op: 'delete' };

/** What the target should look like once the steps are done. */
export interface ExpectedState {
  accountStatus: AccountStatus | 'absent';
  role: string | null;
  email: string | null;
}

/**
 * - `converge`: do the steps (none when already in sync);
 * - `wait`: nothing can be done until the person accepts their invitation;
 * - `unsupported`: the target cannot do what is asked; `steps` are what can still be done;
 * - `protected`: the account is listed as protected in the mapping: never touched.
 */
export type Plan =
  | { kind: 'converge'; steps: Step[]; expected: ExpectedState; summary: string }
  | { kind: 'wait'; steps: []; expected: ExpectedState; summary: string }
  | { kind: 'unsupported'; steps: Step[]; expected: ExpectedState; summary: string }
  | { kind: 'protected'; steps: []; expected: ExpectedState; summary: string };

/** Inputs of {@link planConvergence}. */
export interface PlanInput {
  decision: Decision;
  /** The account in the target (found by the linked email or id, then by the desired email). */
  account: TargetAccount | null;
  /** What the bridge last recorded (a Paradime account disappears from listings once disabled). */
  previousStatus: AccountStatus | 'absent' | null;
  capabilities: ConnectorCapabilities;
}

const sameEmail = (a: string | null | undefined, b: string | null | undefined): boolean =>
  (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();

const stateOf = (account: TargetAccount | null): ExpectedState =>
  account ? { accountStatus: account.status, role: account.role, email: account.email } : { accountStatus: 'absent', role: null, email: null };

/** Works out the least work for one user. */
export function planConvergence(input: PlanInput): Plan {
  const { decision, account } = input;
  switch (decision.kind) {
    case 'protected':
      return { kind: 'protected', steps: [], expected: stateOf(account), summary: decision.reason };
    case 'keep':
      return { kind: 'converge', steps: [], expected: stateOf(account), summary: `keep: ${decision.reason}` };
    case 'present':
      return planPresent(input, decision.role, decision.profile);
    case 'absent':
      return planRemoval(input, 'absent');
    case 'disabled':
      return planRemoval(input, 'disabled');
  }
}

function planPresent(input: PlanInput, role: string, profile: DesiredProfile): Plan {
  const { account, capabilities: caps, previousStatus } = input;
  const expected: ExpectedState = { accountStatus: 'active', role, email: profile.email };
  if (!account) {
    if (previousStatus === 'disabled' && !caps.canReactivate) {
      return unsupported([], { ...expected, accountStatus: 'disabled' }, 'the account is disabled and this target cannot re-enable accounts through its API: re-enable it in the application, the bridge then links it');
    }
    if (caps.create === 'none') {
      return unsupported([], { accountStatus: 'absent', role: null, email: null }, 'this target cannot create accounts through its API: invite the person in the application; the bridge links the account once it exists');
    }
    const status = caps.create === 'invitation' ? 'invited' : 'active';
    return { kind: 'converge', steps: [{ op: 'create', role, profile }], expected: { ...expected, accountStatus: status }, summary: `create with role ${role}` };
  }
  if (account.status === 'disabled') {
    if (!caps.canReactivate) {
      return unsupported([], stateOf(account), 'the account is disabled and this target cannot re-enable accounts through its API: re-enable it in the application');
    }
  }
  const change: AccountChange = {};
  if (!hasRole(account, role)) change.role = role;
  if (caps.isNameMutable && profile.name !== null && profile.name !== '' && profile.name !== account.name) change.name = profile.name;
  const emailChanged = !sameEmail(account.email, profile.email);
  if (emailChanged && caps.isEmailMutable) change.email = profile.email;
  if (account.status === 'invited' && Object.keys(change).length > 0) {
    return { kind: 'wait', steps: [], expected: stateOf(account), summary: 'waiting for the invitation to be accepted before changing the account' };
  }
  const steps: Step[] = Object.keys(change).length > 0 ? [{ op: 'update', change }] : [];
  const after: ExpectedState = { accountStatus: account.status, role, email: emailChanged && !caps.isEmailMutable ? account.email : profile.email };
  if (emailChanged && !caps.isEmailMutable) {
    return unsupported(steps, after, `the email changed to ${profile.email} but this target cannot change emails; the account stays ${account.email}`);
  }
  return { kind: 'converge', steps, expected: after, summary: steps.length === 0 ? 'in sync' : describeChange(change) };
}

function planRemoval(input: PlanInput, goal: 'absent' | 'disabled'): Plan {
  const { account, capabilities: caps } = input;
  if (!account || account.status === 'disabled') {
    const status = !account && input.previousStatus === 'disabled' ? 'disabled' : account?.status === 'disabled' ? 'disabled' : 'absent';
    return { kind: 'converge', steps: [], expected: { accountStatus: status, role: account?.role ?? null, email: account?.email ?? null }, summary: 'in sync' };
  }
  const wantsDelete = goal === 'absent' && caps.canDelete;
  if (!wantsDelete && caps.deactivation !== 'native') {
    // Mapping validation keeps `disable` off targets without it; an unmapped "no access" on a
    // target that can neither delete nor disable is reported, never skipped.
    return unsupported([], stateOf(account), 'this target can neither delete nor disable accounts through its API');
  }
  if (account.status === 'invited') {
    // Neither Paradime nor Redis Cloud can touch an invitation (Redis Cloud's task docs and Paradime's User Management API docs): check again
    // until it is accepted, then remove access.
    return { kind: 'wait', steps: [], expected: stateOf(account), summary: 'an invitation cannot be withdrawn through the API; access is removed once it is accepted' };
  }
  const step: Step = wantsDelete ? { op: 'delete' } : { op: 'disable' };
  return {
    kind: 'converge',
    steps: [step],
    expected: { accountStatus: wantsDelete ? 'absent' : 'disabled', role: wantsDelete ? null : account.role, email: account.email },
    summary: wantsDelete ? 'delete the account' : 'disable the account',
  };
}

function unsupported(steps: Step[], expected: ExpectedState, summary: string): Plan {
  return { kind: 'unsupported', steps, expected, summary };
}

function describeChange(change: AccountChange): string {
  return Object.entries(change).map(([key, value]) => `set ${key} to ${String(value)}`).join(', ');
}

/** Whether a plan removes access (delete, disable, or a move to the no-access role): the guard counts these. */
export function isRemoval(plan: Plan, capabilities: ConnectorCapabilities): boolean {
  return plan.steps.some(
    (step) =>
      step.op === 'delete' ||
      step.op === 'disable' ||
      (step.op === 'update' && step.change.role !== undefined && capabilities.noAccessRole !== undefined && step.change.role.toLowerCase() === capabilities.noAccessRole.toLowerCase()),
  );
}
