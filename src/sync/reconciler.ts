import { hasRole, type TargetAccount } from '../connectors/types.js';
import type { UserRecord } from '../directory/model.js';
import type { Store, SyncState } from '../directory/store.js';
import type { SyncConnection } from './connection.js';
import { grantsAccess } from './removal.js';
import { isListedProtected } from './safety.js';
import { isReportable, recordUnmanaged, usersWithEmail } from './unmanaged.js';

/**
 * The reconciler: lists each target, links invitations that were accepted and accounts that
 * match a SCIM user, and finds drift (a role changed in the target's console, an account deleted
 * there, a managed account whose SCIM user is gone, access the bridge removed that the target
 * shows again). With `drift: repair` it queues the affected
 * users, and the worker converges them the usual way; with `report` it only reports.
 * It also reports the accounts nobody manages (unmanaged.ts) and, with `unmanaged: remove`,
 * queues their removal. One reconciler per connection at a time across replicas (an exclusive store lock).
 */

/** One difference between the directory's intent and the target. */
export interface DriftItem {
  kind: 'deleted-in-target' | 'role-changed' | 'orphaned' | 'active-in-target' | 'invitation-accepted' | 'unlinked';
  userId: string;
  email: string;
  detail: string;
}

/** What one reconcile found. */
export interface ReconcileReport {
  connection: string;
  accounts: number;
  drift: DriftItem[];
  /** Users queued for convergence (links always, drift only with `drift: repair`). */
  queued: number;
  /** Accounts no SCIM user stands behind (protected ones left out), and how many removals this run queued. */
  unmanaged: { accounts: number; queued: number };
  skipped?: 'locked';
}

/** What one listing of the target shows, before anything is queued. */
export interface TargetSurvey {
  accounts: TargetAccount[];
  drift: DriftItem[];
  /** Accounts no SCIM user stands behind, protected ones left out. */
  unmanaged: TargetAccount[];
}

const driftKinds: ReadonlySet<DriftItem['kind']> = new Set(['deleted-in-target', 'role-changed', 'orphaned', 'active-in-target']);
const isDrift = (item: DriftItem): boolean => driftKinds.has(item.kind);

/** Reconciles one connection; returns `skipped: 'locked'` when another process is at it. */
export async function reconcileConnection(store: Store, connection: SyncConnection, signal?: AbortSignal): Promise<ReconcileReport> {
  const result = await store.withExclusiveLock(`reconcile:${connection.name}`, async (): Promise<ReconcileReport> => {
    const { accounts, drift, unmanaged } = await surveyTarget(store, connection, signal);
    const toQueue = drift.filter((d) => connection.drift === 'repair' || !isDrift(d)).map((d) => d.userId);
    const queued = toQueue.length > 0 ? await store.enqueueJobs(connection.name, 'reconcile', [...new Set(toQueue)]) : 0;
    for (const item of drift) logItem(connection, item);
    await notifyDrift(connection, drift.filter(isDrift));
    const recorded = await recordUnmanaged(store, connection, unmanaged, { queue: true });
    if (unmanaged.length > 0) connection.logger.info('unmanaged accounts found', { accounts: unmanaged.length, policy: connection.unmanaged, removalsQueued: recorded.queued });
    return { connection: connection.name, accounts: accounts.length, drift, queued, unmanaged: { accounts: unmanaged.length, queued: recorded.queued } };
  });
  return result ?? { connection: connection.name, accounts: 0, drift: [], queued: 0, unmanaged: { accounts: 0, queued: 0 }, skipped: 'locked' };
}

/**
 * Lists the target once and compares it with the sync states and the directory: drift, links to
 * make, and the accounts nobody manages. Reads only; `scim-bridge unmanaged` runs it too.
 */
export async function surveyTarget(store: Store, connection: SyncConnection, signal?: AbortSignal): Promise<TargetSurvey> {
  // A state written once the listing began is newer than the listing: the worker wrote it after
  // talking to the target, so the listing cannot contradict it (without this, every account a
  // running worker created meanwhile read as deleted in the target, and every role it changed as
  // changed back, and the users were queued again). The next pass looks at them.
  const listedAt = Date.now();
  const accounts: TargetAccount[] = [];
  for await (const account of connection.connector.listAccounts(signal ? { signal } : {})) accounts.push(account);
  const byEmail = new Map(accounts.map((a) => [a.email.toLowerCase(), a]));
  const byId = new Map(accounts.filter((a) => a.id !== null).map((a) => [a.id as string, a]));
  const drift: DriftItem[] = [];
  const seen = new Set<TargetAccount>();
  // Every email a state holds, linked or not: an account being created (its create is recorded
  // before it is sent), an invitation without an id, an account the bridge removed.
  const claimedEmails = new Set<string>();
  for await (const page of statePages(store, connection.name)) {
    const compared: [SyncState, TargetAccount | undefined][] = [];
    for (const state of page) {
      if (state.targetEmail) claimedEmails.add(state.targetEmail.toLowerCase());
      const account = (state.targetId ? byId.get(state.targetId) : undefined) ?? (state.targetEmail ? byEmail.get(state.targetEmail.toLowerCase()) : undefined);
      if (account) seen.add(account);
      if (state.updatedAt < listedAt) compared.push([state, account]);
    }
    // The users behind a page's states in one read, not one read per state.
    const wanted = compared.filter(([state, account]) => needsUser(connection, state, account)).map(([state]) => state.userId);
    const users = new Map((await store.getUsers(connection.name, wanted)).map((user) => [user.id, user]));
    for (const [state, account] of compared) {
      const item = compare(connection, state, account, users.get(state.userId) ?? null);
      if (item) drift.push(item);
    }
  }
  const { links, withoutUser } = await unlinked(store, connection, accounts.filter((a) => !seen.has(a)));
  drift.push(...links);
  const unmanaged = withoutUser.filter((a) => !claimedEmails.has(a.email.toLowerCase()) && isReportable(connection, a));
  return { accounts, drift, unmanaged };
}

/** Access the bridge removed that is back, and left so (`drift: report`), needs a person: warn. */
function logItem(connection: SyncConnection, item: DriftItem): void {
  const isRepairing = connection.drift === 'repair';
  const fields = { ...item, repair: isRepairing };
  if (!isDrift(item)) connection.logger.info('account linked', fields);
  else if (item.kind === 'active-in-target' && !isRepairing) connection.logger.warn('drift found', fields);
  else connection.logger.info('drift found', fields);
}

const MAX_NOTIFIED_ITEMS = 50;

/** One event per reconcile that found drift: what kinds, how many, and whether the worker repairs them. */
async function notifyDrift(connection: SyncConnection, drift: readonly DriftItem[]): Promise<void> {
  if (drift.length === 0) return;
  const byKind = new Map<string, number>();
  for (const item of drift) byKind.set(item.kind, (byKind.get(item.kind) ?? 0) + 1);
  const kinds = [...byKind].map(([kind, count]) => `${count} ${kind}`).join(', ');
  const isRepairing = connection.drift === 'repair';
  await connection.notifier.emit({
    kind: 'drift',
    connection: connection.name,
    at: Date.now(),
    message: `the reconciler found ${drift.length} difference(s) between the directory and the target (${kinds}); ${isRepairing ? 'the bridge repairs them' : 'drift: report leaves them as they are'}`,
    details: { count: drift.length, byKind: Object.fromEntries(byKind), repair: isRepairing, items: drift.slice(0, MAX_NOTIFIED_ITEMS) },
  });
}

async function* statePages(store: Store, connection: string): AsyncGenerator<SyncState[]> {
  let after: string | undefined;
  for (;;) {
    const page = await store.listSyncStates(connection, { ...(after ? { afterUserId: after } : {}), limit: 500 });
    yield page;
    if (page.length < 500) return;
    after = page.at(-1)?.userId;
  }
}

/** Whether {@link compare} looks at the SCIM user behind a state: a managed, unheld, unprotected state whose account the target lists. */
function needsUser(connection: SyncConnection, state: SyncState, account: TargetAccount | undefined): boolean {
  const email = account?.email ?? state.targetEmail ?? '';
  return account !== undefined && state.isManaged && state.status !== 'held' && !isListedProtected(connection, email);
}

/** The drift of one state against the account the target lists for it; `user` is the SCIM user behind it (tombstones included), read when {@link needsUser} says so. */
function compare(connection: SyncConnection, state: SyncState, account: TargetAccount | undefined, user: (UserRecord & { deleted: boolean }) | null): DriftItem | null {
  const email = account?.email ?? state.targetEmail ?? '';
  if (!state.isManaged || state.status === 'held' || isListedProtected(connection, email)) return null;
  const base = { userId: state.userId, email };
  if (!account) {
    // Paradime lists neither disabled nor deleted users: a disabled account is expected to vanish.
    const isExpectedAbsent = state.accountStatus === 'absent' || state.accountStatus === 'disabled';
    return isExpectedAbsent ? null : { ...base, kind: 'deleted-in-target', detail: `the ${state.accountStatus} account is no longer in the target` };
  }
  if (!user) return { ...base, kind: 'orphaned', detail: 'the account is managed by the bridge but its SCIM user is gone' };
  if (state.accountStatus === 'invited' && account.status === 'active') return { ...base, kind: 'invitation-accepted', detail: 'the invitation was accepted' };
  const isWanted = !user.deleted && user.active;
  if (state.accountStatus === 'absent' && isWanted) return { ...base, kind: 'unlinked', detail: 'an account with this email exists again' };
  const isRemovedHere = state.accountStatus === 'absent' || state.accountStatus === 'disabled';
  if (isRemovedHere && grantsAccess(account, connection.connector.capabilities.noAccessRole)) {
    // Re-enabled in the target's console, or a removal that never happened: the worker links it
    // when the IdP wants the person back, and removes access again otherwise.
    if (isWanted) return { ...base, kind: 'unlinked', detail: `the ${state.accountStatus} account is ${account.status} again in the target` };
    return { ...base, kind: 'active-in-target', detail: `the bridge recorded the account as ${state.accountStatus}, the target lists it ${account.status}` };
  }
  if (state.role !== null && account.status === 'active' && !hasRole(account, state.role)) {
    return { ...base, kind: 'role-changed', detail: `role is ${account.role ?? 'unknown'} in the target, ${state.role} expected` };
  }
  return null;
}

/**
 * Accounts no sync state points at, whose email belongs to a SCIM user: link them. The others,
 * no SCIM user behind them, come back in `withoutUser`.
 */
async function unlinked(store: Store, connection: SyncConnection, accounts: readonly TargetAccount[]): Promise<{ links: DriftItem[]; withoutUser: TargetAccount[] }> {
  const links: DriftItem[] = [];
  const withoutUser: TargetAccount[] = [];
  for (const account of accounts) {
    const page = await usersWithEmail(store, connection.name, account.email);
    if (page.totalResults === 0) withoutUser.push(account);
    if (account.protection || isListedProtected(connection, account.email)) continue;
    const [user] = page.records;
    if (user && page.totalResults === 1) links.push({ kind: 'unlinked', userId: user.id, email: account.email, detail: 'an existing account matches this SCIM user by email' });
  }
  return { links, withoutUser };
}
