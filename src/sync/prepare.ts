import type { CallOptions, TargetAccount } from '../connectors/types.js';
import type { UserRecord } from '../directory/model.js';
import type { Store, SyncState } from '../directory/store.js';
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

/** Loads and plans one user; null when there is nothing left to know about them. */
export async function prepareUser(
  store: Store,
  connection: SyncConnection,
  userId: string,
  options: CallOptions & { lookUpAlways?: boolean } = {},
): Promise<Prepared | null> {
  const [user, states] = await Promise.all([
    store.getUser(connection.name, userId, { includeDeleted: true }),
    store.getSyncStates(connection.name, [userId]),
  ]);
  const state = states[0] ?? null;
  if (!user && !state) return null;
  const groups = user && !user.deleted ? await store.groupsOfUsers(connection.name, [userId]) : [];
  const input: MappingInput = {
    userId,
    userName: user?.userName ?? state?.targetEmail ?? '',
    active: user?.active ?? false,
    isDeleted: !user || user.deleted,
    attributes: user?.attributes ?? {},
    groups: groups.map((g) => ({ id: g.groupId, displayName: g.displayName, externalId: g.externalId })),
  };
  return prepareInput(connection, { userId, user, state, input }, options);
}

/** Plans for a given input (strict mode plans a write before it is stored). */
export async function prepareInput(
  connection: SyncConnection,
  known: { userId: string; user: Prepared['user']; state: SyncState | null; input: MappingInput },
  options: CallOptions & { lookUpAlways?: boolean } = {},
): Promise<Prepared> {
  const { userId, user, state, input } = known;
  const decision = connection.evaluate(input);
  const lookup = await locateAccount(connection, state, decision, options);
  const plan = planConvergence({ decision, account: lookup.account, previousStatus: state?.accountStatus ?? null, capabilities: connection.connector.capabilities });
  return { userId, user, state, input, decision, account: lookup.account, isAccountUnverified: lookup.isUnverified, plan };
}

/**
 * Finds the account: by the linked id (one small call where the connector can), else by the
 * linked email, else by the desired email. An unlinked user who should get an account is not
 * looked up: the create answers TARGET_CONFLICT if the email exists, and the account is adopted
 * then (docs/architecture.md, promise 2), which spares a full listing per new user.
 */
async function locateAccount(
  connection: SyncConnection,
  state: SyncState | null,
  decision: Decision,
  options: CallOptions & { lookUpAlways?: boolean },
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
  if (!isLinked && decision.kind === 'present' && !options.lookUpAlways) return { account: null, isUnverified: true };
  for (const email of unique) {
    const found = await connector.findByEmail(email, call);
    if (found) return { account: found, isUnverified: false };
  }
  return { account: null, isUnverified: false };
}
