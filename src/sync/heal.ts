import type { Store } from '../directory/store.js';
import type { SyncConnection } from './connection.js';

/**
 * Nothing waits for a human forever (docs/architecture.md, promise 12): when a connection's target
 * recovers (its access check passes again) or the bridge starts with a new configuration, every
 * `failed` user of that connection is queued again at once. Jobs coalesce per user, so queueing
 * a user whose job is waiting out the long backoff only makes it due now.
 */

/** Why failed users are retried: the access check passed again, or the bridge (re)started. */
export type HealReason = 'access-restored' | 'start';

const PAGE = 500;

/** Queues every `failed` user of the connection; returns how many were queued. */
export async function retryFailedUsers(store: Store, connection: SyncConnection, reason: HealReason): Promise<number> {
  let queued = 0;
  let after: string | undefined;
  for (;;) {
    const page = await store.listSyncStates(connection.name, { status: 'failed', limit: PAGE, ...(after !== undefined ? { afterUserId: after } : {}) });
    if (page.length > 0) queued += await store.enqueueJobs(connection.name, 'reconcile', page.map((state) => state.userId));
    if (page.length < PAGE) break;
    after = page.at(-1)?.userId;
  }
  if (queued > 0) connection.logger.info('retrying failed users', { reason, users: queued });
  return queued;
}
