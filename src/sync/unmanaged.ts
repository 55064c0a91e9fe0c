import type { TargetAccount } from '../connectors/types.js';
import type { ListPage, UserRecord } from '../directory/model.js';
import type { Store, UnmanagedAccount } from '../directory/store.js';
import type { SyncConnection } from './connection.js';
import { grantsAccess } from './removal.js';
import { isProtectedAccount } from './safety.js';

/**
 * Accounts nobody manages: target accounts that no SCIM user of the connection stands behind
 * (no sync state links them or claims their email, no SCIM user has their email), protected
 * ones left out (safety.ts). They are reported, and never changed unless the mapping says
 * `unmanaged: remove`; each removal is then a job of its own in the outbox
 * (`unmanaged:<email>`, unmanaged-removal.ts), so it passes the guard, is audited, is held and
 * approved like any other removal, and is queued once, not once per reconcile.
 */

const JOB_PREFIX = 'unmanaged:';

/** The outbox id of the job that removes the unmanaged account with this email (never a SCIM user id: those are UUIDs). */
export function unmanagedJobId(email: string): string {
  return `${JOB_PREFIX}${email.trim().toLowerCase()}`;
}

/** The email of an unmanaged-account job, or null when the job is a SCIM user's. */
export function unmanagedEmailOf(jobId: string): string | null {
  return jobId.startsWith(JOB_PREFIX) ? jobId.slice(JOB_PREFIX.length) : null;
}

/** The SCIM users of a connection whose userName or an email is this address. */
export function usersWithEmail(store: Store, connection: string, email: string, count = 2): Promise<ListPage<UserRecord>> {
  return store.listUsers(connection, {
    filter: {
      kind: 'or',
      left: { kind: 'compare', path: { attr: 'userName' }, op: 'eq', value: email },
      right: { kind: 'compare', path: { attr: 'emails', sub: 'value' }, op: 'eq', value: email },
    },
    startIndex: 1,
    count,
  });
}

/**
 * Whether someone stands behind the account right now: a sync state linked to it, a state
 * that holds its email (an account being created: the create is recorded before it is sent,
 * apply.ts; an invitation without an id; a removed account the IdP may want back), or a SCIM
 * user with its email (about to be linked or adopted). The removal job asks this again,
 * under the account's target locks, just before it removes anything.
 */
export async function standsBehind(store: Store, connection: SyncConnection, account: TargetAccount): Promise<string | null> {
  if (account.id !== null) {
    const linked = await store.findSyncStateByTarget(connection.name, account.id);
    if (linked) return `linked to SCIM user ${linked.userId}`;
  }
  const [claimant] = await store.findSyncStatesByTargetEmail(connection.name, account.email);
  if (claimant) return `its email belongs to SCIM user ${claimant.userId}'s sync state`;
  const [user] = (await usersWithEmail(store, connection.name, account.email, 1)).records;
  return user ? `SCIM user ${user.id} has its email` : null;
}

/** Whether a reconcile leaves an account out of the report: protected accounts are never listed. */
export function isReportable(connection: SyncConnection, account: TargetAccount): boolean {
  return !isProtectedAccount(connection, account);
}

/** What the connection's policy does with one unmanaged account (pure). */
export function classifyUnmanaged(connection: Pick<SyncConnection, 'unmanaged' | 'connector'>, account: TargetAccount): Omit<UnmanagedAccount, 'firstSeenAt'> {
  const base = {
    email: account.email,
    targetId: account.id,
    name: account.name,
    role: account.role,
    accountStatus: account.status,
    protection: account.protection === 'last-admin' ? ('last-admin' as const) : null,
  };
  if (connection.unmanaged === 'report') return { ...base, action: 'report', note: null };
  if (account.protection === 'last-admin') return { ...base, action: 'keep', note: "the target's last admin is never removed for being unmanaged" };
  if (!grantsAccess(account, connection.connector.capabilities.noAccessRole)) return { ...base, action: 'keep', note: 'the account gives no access' };
  if (account.status === 'invited') return { ...base, action: 'keep', note: 'an invitation is removed once it is accepted' };
  return { ...base, action: 'remove', note: null };
}

/** What {@link recordUnmanaged} stored and queued. */
export interface UnmanagedOutcome {
  accounts: Omit<UnmanagedAccount, 'firstSeenAt'>[];
  /** Removal jobs added now (an account whose removal is queued or held already is not queued again). */
  queued: number;
}

/**
 * Stores the connection's report, and with `queue` (the reconciler) enqueues a removal job for
 * every account the policy removes. `scim-bridge unmanaged` stores without queueing.
 */
export async function recordUnmanaged(store: Store, connection: SyncConnection, found: readonly TargetAccount[], options: { queue: boolean; at?: number }): Promise<UnmanagedOutcome> {
  const accounts = found.map((account) => classifyUnmanaged(connection, account));
  await store.putUnmanagedReport({ connection: connection.name, at: options.at ?? Date.now(), policy: connection.unmanaged, accounts });
  const removals = accounts.filter((a) => a.action === 'remove').map((a) => unmanagedJobId(a.email));
  const queued = options.queue && removals.length > 0 ? await store.enqueueAccountJobs(connection.name, removals) : 0;
  return { accounts, queued };
}
