import type { AccountStatus, TargetAccount } from '../connectors/types.js';
import type { Store, SyncState } from '../directory/store.js';
import { BridgeError } from '../errors.js';
import type { Decision } from '../mapping/types.js';
import type { SyncConnection } from './connection.js';
import type { RemovalGuard } from './guard.js';
import { isRemoval, planConvergence, type Plan } from './plan.js';

/**
 * The one place where a plan is admitted before any of its steps reaches a target, for the
 * worker and strict mode alike, and again after every adoption (docs/architecture.md, promises 5 and 8):
 * one account per SCIM user, protected accounts, the last admin, the mass-deprovisioning guard,
 * and, in strict mode, nothing half-applied. Connectors only mark accounts with their
 * `protection`; the decisions are taken here.
 */

/** What {@link admitPlan} needs to know about the run. */
export interface SafetyContext {
  store: Store;
  connection: SyncConnection;
  /** Null for a dry run (`scim-bridge plan`): the guard's window is neither read nor counted. */
  guard: RemovalGuard | null;
  userId: string;
  /** The user's sync state as the run found it. */
  state: SyncState | null;
  decision: Decision;
  /** Released by `scim-bridge approve`: the last-admin and guard holds let it through. */
  isApproved: boolean;
  /** Strict mode: a plan the target cannot carry out whole is refused before any step. */
  isStrict: boolean;
  /**
   * The sync states that claim one email, read under the run's target locks (apply.ts), used
   * instead of reading them again; the check after an adoption reads afresh.
   */
  claims?: { email: string; states: SyncState[] };
}

/** Thrown when a plan must wait for `scim-bridge approve`; the message is the reason. */
export class HoldRequest extends Error {
  override readonly name = 'HoldRequest';
}

/** The warn line of a run whose lease another worker took (its state is not written; its audit says leaseLost). */
export const LEASE_LOST = "job lease lost: another worker converges this user now; this run's state is not recorded";

/** Why a run the guard would hold ends unheld: its job is no longer the claim the guard decided on (store.holdJob). */
export const HOLD_REFUSED = 'not held: the user changed since the job was claimed, or another worker took it over; the job runs again';

/** Protections the target itself enforces; the bridge never writes to these accounts. */
const isTargetProtected = (account: TargetAccount | null): boolean => account?.protection === 'owner' || account?.protection === 'api-key-user';

/** Whether the mapping lists the email in `protected.emails`. */
export function isListedProtected(connection: Pick<SyncConnection, 'protectedEmails'>, email: string): boolean {
  return connection.protectedEmails.has(email.trim().toLowerCase());
}

/**
 * Whether an account is protected whoever asks (docs/architecture.md, promise 5): the target's
 * owner, the user whose key the bridge uses, or an email the mapping lists. The last admin is
 * not in this list: a change to it waits for approval ({@link admitPlan}).
 */
export function isProtectedAccount(connection: Pick<SyncConnection, 'protectedEmails'>, account: TargetAccount): boolean {
  return isTargetProtected(account) || isListedProtected(connection, account.email);
}

/** Whether the bridge may count an account it linked as managed (never the owner's or the key holder's). */
export function isManageable(account: TargetAccount | null): boolean {
  return !isTargetProtected(account);
}

/** A plan admitted to run, with the account it runs against. */
export interface Admitted {
  plan: Plan;
  account: TargetAccount | null;
}

/**
 * Admits a plan against the account it would touch (null: none, or one about to be created).
 * Returns what to run: when the account turns out to be another user's, a removal has nothing
 * of this user's to remove (no account, no steps); an account listed as protected gets no steps.
 * Throws TARGET_CONFLICT, PROTECTED_ACCOUNT or UNSUPPORTED_OPERATION, or a {@link HoldRequest}.
 * Reads the store only, except for the guard's count (skipped when `guard` is null), so
 * `scim-bridge plan` admits its plans here too and shows what the worker would refuse.
 */
export async function admitPlan(ctx: SafetyContext, plan: Plan, account: TargetAccount | null): Promise<Admitted> {
  const holder = await claimantOf(ctx, plan, account);
  if (holder) {
    if (ctx.decision.kind === 'present') throw await conflict(ctx, holder, account?.email ?? createdEmail(plan) ?? '', account);
    const capabilities = ctx.connection.connector.capabilities;
    return { plan: planConvergence({ decision: ctx.decision, account: null, previousStatus: null, capabilities }), account: null };
  }
  if (plan.steps.length > 0 && account && isTargetProtected(account)) {
    const what = account.protection === 'owner' ? "the target's owner" : 'the user whose API key or credentials the bridge uses';
    throw new BridgeError('PROTECTED_ACCOUNT', `${account.email} is protected: it is ${what}, and the bridge never changes it`, {
      details: { accountId: account.id, protection: account.protection ?? null },
    });
  }
  if (account && plan.kind !== 'protected' && isListedProtected(ctx.connection, account.email)) {
    return { plan: { kind: 'protected', steps: [], expected: expectedOf(account), summary: `protected: ${account.email} is listed in protected.emails` }, account };
  }
  if (ctx.isStrict && plan.kind === 'unsupported') throw new BridgeError('UNSUPPORTED_OPERATION', plan.summary);
  if (plan.steps.length > 0 && account?.protection === 'last-admin' && !ctx.isApproved) {
    throw new HoldRequest(`${account.email} is the last admin of the target: approve with "scim-bridge approve --connection ${ctx.connection.name}"`);
  }
  if (ctx.guard && isRemoval(plan, ctx.connection.connector.capabilities) && !ctx.isApproved) {
    const admitted = await ctx.guard.admit(ctx.connection, false);
    if (!admitted.ok) throw new HoldRequest(admitted.reason);
  }
  return { plan, account };
}

/**
 * The keys a job locks before it touches the target (sql/lease-ops.ts): every email it may
 * create or find the account by, and the account id it is linked to. Jobs sharing a key run one
 * after the other, across replicas.
 */
export function targetKeysOf(state: SyncState | null, decision: Decision): string[] {
  const emails = [state?.targetEmail, decision.profile?.email].filter((e): e is string => typeof e === 'string' && e !== '');
  const keys = emails.map((email) => `email:${email.trim().toLowerCase()}`);
  if (state?.targetId) keys.push(`id:${state.targetId}`);
  return [...new Set(keys)];
}

/** Whether another user's state claims an email: linked to an account, or about to create one. */
function claims(state: SyncState, userId: string): boolean {
  return state.userId !== userId && (state.targetId !== null || state.accountStatus !== 'absent' || state.status === 'pending');
}

/** Another user's sync state that holds the account (or the email a create is for), if any. */
async function claimantOf(ctx: SafetyContext, plan: Plan, account: TargetAccount | null): Promise<SyncState | null> {
  const { store, connection, userId, state } = ctx;
  if (account) {
    // Linked to this user by id already: the store lets no other state hold that id.
    if (account.id !== null && state?.targetId === account.id) return null;
    if (account.id !== null) {
      const byId = await store.findSyncStateByTarget(connection.name, account.id);
      if (byId && byId.userId !== userId) return byId;
    }
    // An invitation has no id yet (Paradime): its email is what links it.
    const byEmail = await statesClaiming(ctx, account.email);
    return byEmail.find((s) => claims(s, userId) && (s.targetId === null || s.targetId === account.id)) ?? null;
  }
  const email = createdEmail(plan);
  if (email === undefined) return null;
  return (await statesClaiming(ctx, email)).find((s) => claims(s, userId)) ?? null;
}

/** The sync states whose target email is this one: as read under the run's locks when those are for it, else from the store. */
function statesClaiming(ctx: SafetyContext, email: string): Promise<SyncState[]> {
  if (ctx.claims && ctx.claims.email.toLowerCase() === email.toLowerCase()) return Promise.resolve(ctx.claims.states);
  return ctx.store.findSyncStatesByTargetEmail(ctx.connection.name, email);
}

function createdEmail(plan: Plan): string | undefined {
  const create = plan.steps.find((step) => step.op === 'create');
  return create?.op === 'create' ? create.profile.email : undefined;
}

/**
 * TARGET_CONFLICT naming the holder. Permanent while the holder is a live SCIM user; transient
 * while the holder is being deleted, so a person deleted and created again is linked once the
 * old account is gone.
 */
async function conflict(ctx: SafetyContext, holder: SyncState, email: string, account: TargetAccount | null): Promise<BridgeError> {
  const user = await ctx.store.getUser(ctx.connection.name, holder.userId, { includeDeleted: true });
  const details = { email, holderUserId: holder.userId, targetId: account?.id ?? null };
  if (!user || user.deleted) {
    return new BridgeError('TARGET_CONFLICT', `${email} belongs to SCIM user ${holder.userId}, which is being deleted: this user is linked once that is done`, {
      kind: 'transient',
      details,
    });
  }
  return new BridgeError(
    'TARGET_CONFLICT',
    `${email} is already linked to SCIM user ${holder.userId}: a target account belongs to one SCIM user per connection; give one of them another email, or delete one`,
    { details },
  );
}

function expectedOf(account: TargetAccount): { accountStatus: AccountStatus; role: string | null; email: string } {
  return { accountStatus: account.status, role: account.role, email: account.email };
}
