import type { Filter } from '../filter/index.js';
import type { Store } from '../directory/store.js';

/** Finding users for the commands: every user of a connection, a user named on the command line, and names for ids. */

const PAGE = 500;

/**
 * Every user convergence would look at: live users, users with a sync state (tombstoned ones
 * included, until their account is gone) and users with a queued job, ordered by id.
 */
export async function allUserIds(store: Store, connection: string): Promise<string[]> {
  const ids = new Set<string>();
  for (let start = 1; ; start += PAGE) {
    const page = await store.listUsers(connection, { startIndex: start, count: PAGE });
    for (const user of page.records) ids.add(user.id);
    if (page.records.length < PAGE) break;
  }
  let after: string | undefined;
  for (;;) {
    const states = await store.listSyncStates(connection, { ...(after ? { afterUserId: after } : {}), limit: PAGE });
    for (const state of states) ids.add(state.userId);
    if (states.length < PAGE) break;
    after = states.at(-1)?.userId;
  }
  for (const job of await store.listJobs(connection, { limit: 1_000_000 })) ids.add(job.userId);
  return [...ids].sort();
}

const byName = (name: string): Filter => ({ kind: 'compare', path: { attr: 'userName' }, op: 'eq', value: name });

/** The ids a reference on the command line stands for: the users with that userName (case-insensitive), else the reference itself as an id. */
export async function resolveUser(store: Store, connection: string, reference: string): Promise<string[]> {
  const page = await store.listUsers(connection, { filter: byName(reference), startIndex: 1, count: 10 });
  if (page.records.length > 0) return page.records.map((u) => u.id);
  return [reference];
}

/** userName per id (tombstones included); ids without a user are left out. */
export async function userNames(store: Store, connection: string, ids: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(ids)) {
    const user = await store.getUser(connection, id, { includeDeleted: true });
    if (user) names.set(id, user.userName);
  }
  return names;
}
