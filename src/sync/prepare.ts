import type { CallOptions, TargetAccount } from '../connectors/types.js';
import type { UserRecord } from '../directory/model.js';
import type { Store, SyncInput, SyncState } from '../directory/store.js';
import type { Decision, MappingInput } from '../mapping/types.js';
import type { SyncConnection } from './connection.js';
import { planConvergence, type Plan } from './plan.js';

/**
 * Reading side of convergence: the user as the IdP wants it, the decision of the mapping, the
 * account as the target holds it, and the plan. No target write happens here; `scim-bridge plan`
 * stops after this step.
 */

/** Everything known about one user before acting. */
export interface Prepared {
  userId: string;
  user: (UserRecord & { deleted: boolean }) | null;
  state: SyncState | null;
  input: MappingInput;
  decision: Decision;
  account: TargetAccount | null;
  /** True when the account was not looked up (an unlinked user about to be created: create-or-adopt). */
  isAccountUnverified: boolean;
  plan: Plan;
}

/** What the directory knows of one user, before the mapping and the target are asked. */
export interface KnownUser {
  userId: string;
  user: Prepared['user'];
  state: SyncState | null;
  input: MappingInput;
}

/** How {@link prepareInput} looks the account up. */
export interface PrepareOptions extends CallOptions {
  /** Look the account up even for an unlinked user about to be created (plan, strict mode). */
  lookUpAlways?: boolean;
  /** The mapping's decision, when the caller has it already (the evaluator is pure). */
  decision?: Decision;
}

/** Loads and plans one user; null when there is nothing left to know about them. */
export async function prepareUser(store: Store, connection: SyncConnection, userId: string, options: PrepareOptions = {}): Promise<Prepared | null> {
  const known = await loadUser(store, connection, userId);
  return known ? prepareInput(connection, known, options) : null;
}

/** Reads one user, its groups and its sync state (one store read); null when the store knows nothing of them. */
export async function loadUser(store: Store, connection: SyncConnection, userId: string): Promise<KnownUser | null> {
  return knownUser(userId, await store.loadSyncInput(connection.name, userId));
}

/** What the directory knows of one user from its sync input (read alone, or with its job's claim); null when it knows nothing. */
export function knownUser(userId: string, { user, state, groups }: SyncInput): KnownUser | null {
  if (!user && !state) return null;
  const input: MappingInput = {
    userId,
    userName: user?.userName ?? state?.targetEmail ?? '',
    active: user?.active ?? false,
    isDeleted: !user || user.deleted,
    attributes: user?.attributes ?? {},
    groups: groups.map((g) => ({ id: g.groupId, displayName: g.displayName, externalId: g.externalId })),
  };
  return { userId, user, state, input };
}

/** Plans for a given input (strict mode plans a write before it is stored). */
export async function prepareInput(connection: SyncConnection, known: KnownUser, options: PrepareOptions = {}): Promise<Prepared> {
  const { userId, user, state, input } = known;
  const decision = options.decision ?? (await connection.evaluate(input));
  const lookup = await locateAccount(connection, state, decision, options);
  const plan = planConvergence({ decision, account: lookup.account, previousStatus: state?.accountStatus ?? null, capabilities: connection.connector.capabilities });
  return { userId, user, state, input, decision, account: lookup.account, isAccountUnverified: lookup.isUnverified, plan };
}

/**
 * Finds the account: by the linked id (one small call where the connector can), else by the
 * linked email, else by the desired email. An unlinked user who should get an account is not
 * looked up when the target refuses a taken email (`refusesTakenEmail`): the create answers
 * TARGET_CONFLICT if the email exists, and the account is adopted then (docs/architecture.md,
 * promise 2), which spares a full listing per new user. A target without that signal (Paradime)
 * is asked by email first, so an invitation already sent is never sent again. That leans on the
 * target refusing a second account only for accounts made outside the bridge: the bridge's own
 * creates of one email are serialised (target locks, apply.ts), and a create is recorded before
 * it is sent (the email becomes the state's target email), so a job run again after a crash
 * looks the email up before creating.
 */
async function locateAccount(
  connection: SyncConnection,
  state: SyncState | null,
  decision: Decision,
  options: PrepareOptions,
): Promise<{ account: TargetAccount | null; isUnverified: boolean }> {
  const { connector } = connection;
  const call = { ...(options.signal ? { signal: options.signal } : {}), ...(options.requestId ? { requestId: options.requestId } : {}) };
  if (state?.targetId && connector.getAccount) {
    const byId = await connector.getAccount(state.targetId, call);
    if (byId) return { account: byId, isUnverified: false };
  }
  const emails = [state?.targetEmail, decision.profile?.email].filter((e): e is string => typeof e === 'string' && e !== '');
  const unique = [...new Set(emails.map((e) => e.toLowerCase()))];
  const isLinked = state?.targetEmail !== null && state?.targetEmail !== undefined;
  // Create-or-adopt leans on the target refusing a taken email; one that gives no such signal is asked first.
  const isCreateFirst = connector.capabilities.refusesTakenEmail && !options.lookUpAlways;
  if (!isLinked && decision.kind === 'present' && isCreateFirst) return { account: null, isUnverified: true };
  for (const email of unique) {
    const found = await connector.findByEmail(email, call);
    if (found) return { account: found, isUnverified: false };
  }
  return { account: null, isUnverified: false };
}
