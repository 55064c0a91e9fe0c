import { pendingHandleOf } from '../connectors/types.js';
import type { LeasedJob, Store } from '../directory/store.js';
import { BridgeError, isBridgeError } from '../errors.js';
import { backoffDelay } from './limits.js';

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

/** A target write a strict run left accepted but not final (a Redis Cloud task), kept with the user's job. */
export interface PendingWrite {
  handle: string;
  /** The error to answer: the run's own, with the Retry-After the IdP is given. */
  error: BridgeError;
  /** When the job is due for a worker. */
  jobDelayMs: number;
}

/**
 * The write a failed strict run leaves pending, if any: the target accepted it but had not
 * finished it within the wait (TARGET_TASK_PENDING), so whoever runs next for this user, the
 * IdP's retry or a worker, waits for it instead of submitting it again (docs/targets.md,
 * "Asynchronous tasks"). The job waits twice the Retry-After the IdP is given: a retrying IdP
 * settles it first; a worker settles it if the IdP does not come back.
 */
export function pendingWriteOf(err: unknown, attempts: number, retryBaseMs?: number): PendingWrite | undefined {
  const handle = isBridgeError(err) ? pendingHandleOf(err) : undefined;
  if (!isBridgeError(err) || handle === undefined) return undefined;
  const retryAfterMs = Math.ceil(Math.max(err.retryAfterMs ?? 0, backoffDelay(attempts, retryBaseMs)) / 1000) * 1000;
  const error = new BridgeError(err.code, err.message, { kind: err.kind, retryAfterMs, details: err.details, cause: err });
  return { handle, error, jobDelayMs: 2 * retryAfterMs };
}

/**
 * Gives the lease back. A row made for the lease goes with it, unless a write came meanwhile
 * (then the worker converges it once more, finding it in sync); a job that existed stays as it was.
 * A pending write stays with the job, made or not for the lease (its handle, due after `jobDelayMs`).
 */
export async function giveBackUserLease(store: Store, lease: LeasedJob, pending?: PendingWrite): Promise<void> {
  if (pending) await store.retryJob(lease, { delayMs: pending.jobDelayMs, lastError: `${pending.error.code}: ${pending.error.message}`, pendingHandle: pending.handle });
  else if (lease.isNew) await store.completeJob(lease);
  else await store.releaseJob(lease);
}
