import type { LeasedJob, Store } from '../directory/store.js';
import { BridgeError } from '../errors.js';

/**
 * Strict mode's hold on one user: the lease of that user's job, the same lease a worker claims,
 * so a strict write and a worker job for one user never touch the target at once (on any replica).
 */

/** Options of {@link takeUserLease}. */
export interface UserLeaseOptions {
  workerId: string;
  leaseMs: number;
  /** How long to wait for a lease another worker holds. */
  waitMs: number;
}

/** Takes the user's lease, waiting up to `waitMs` while another holds it; then SYNC_BUSY (503 with Retry-After). */
export async function takeUserLease(store: Store, connection: string, userId: string, options: UserLeaseOptions): Promise<LeasedJob> {
  const deadline = Date.now() + options.waitMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    const lease = await store.leaseJob(connection, userId, { workerId: options.workerId, leaseMs: options.leaseMs });
    if (lease) return lease;
    if (Date.now() + pause > deadline) {
      throw new BridgeError('SYNC_BUSY', `user ${userId} is being converged by another worker right now: try again`, { retryAfterMs: 1_000, details: { userId } });
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * Gives the lease back. A row made for the lease goes with it, unless a write came meanwhile
 * (then the worker converges it once more, finding it in sync); a job that existed stays as it was.
 */
export async function giveBackUserLease(store: Store, lease: LeasedJob): Promise<void> {
  if (lease.isNew) await store.completeJob(lease);
  else await store.releaseJob(lease);
}
