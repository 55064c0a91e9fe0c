import type { Coordination } from '../directory/coordination.js';
import type { Logger } from '../logging/logger.js';
import { createRateLimiter } from './rate-limit.js';

/**
 * The brake on failed authentications, shared by SCIM requests and the OAuth token endpoint.
 * Valid credentials are checked first and never braked; only a failure is counted, against the
 * source that failed: one connection and one client address (as `http.trustProxy` resolves
 * it). Someone else's failures, from another address, or against another connection, never
 * slow down the IdP.
 *
 * The bridge counts failures in the store ({@link createSharedAuthFailureLimiter}), so the brake
 * holds across every replica on PostgreSQL; the in-process one serves when no store is given
 * (tests of the HTTP layer alone) and while the store cannot be reached.
 */

/** Whose failures are counted together. */
export interface FailureSource {
  /** The connection the credentials were presented to. */
  connection: string;
  /** The client's address (`req.ip`, resolved through the trusted proxies). */
  client: string;
}

/** Counts failed authentications per {@link FailureSource}. */
export interface AuthFailureLimiter {
  /**
   * Records one failed authentication. Resolves with null while the source may go on failing
   * (answer 401), or with how long it must wait (answer 429 with Retry-After).
   */
  recordFailure(source: FailureSource, now?: number): Promise<number | null>;
}

/** Options of {@link createMemoryAuthFailureLimiter}. */
export interface AuthFailureLimits {
  /** Failures that pass in a row before the brake. */
  burst: number;
  /** Failures per minute a braked source gets back. */
  perMinute: number;
  /** Sources remembered at most (the oldest are forgotten first). */
  maxSources?: number;
}

/** The default brake: 20 failures in a row, then one every 2 seconds, per connection and address. */
export const defaultAuthFailureLimits: AuthFailureLimits = { burst: 20, perMinute: 30 };

/** An in-process {@link AuthFailureLimiter} (token buckets, bounded in memory). */
export function createMemoryAuthFailureLimiter(limits: AuthFailureLimits = defaultAuthFailureLimits): AuthFailureLimiter {
  const buckets = createRateLimiter(limits.perMinute, { burst: limits.burst, ...(limits.maxSources ? { maxKeys: limits.maxSources } : {}) });
  return {
    recordFailure: (source, now = Date.now()) => {
      try {
        buckets.take(JSON.stringify([source.connection, source.client]), now);
        return Promise.resolve(null);
      } catch (err) {
        return Promise.resolve((err as { retryAfterMs?: number }).retryAfterMs ?? 1_000);
      }
    },
  };
}

/**
 * The brake shared by every replica: one token bucket per source in the store, on the database's
 * clock (a failure takes a token; an empty bucket answers how long until the next one). When the
 * store cannot be reached, this process brakes on its own and says so once.
 */
export function createSharedAuthFailureLimiter(coordination: Pick<Coordination, 'takeToken'>, logger: Logger, limits: AuthFailureLimits = defaultAuthFailureLimits): AuthFailureLimiter {
  const bucket = { ratePerSecond: limits.perMinute / 60, burst: limits.burst };
  const local = createMemoryAuthFailureLimiter(limits);
  let isFallingBack = false;
  return {
    async recordFailure(source, now) {
      let waitMs: number;
      try {
        waitMs = await coordination.takeToken(`auth-failures:${JSON.stringify([source.connection, source.client])}`, bucket);
      } catch (err) {
        if (!isFallingBack) logger.error('cannot reach the store for the failed-authentication brake: braking in this process alone', { error: err instanceof Error ? err.message : String(err) });
        isFallingBack = true;
        return local.recordFailure(source, now);
      }
      isFallingBack = false;
      return waitMs > 0 ? waitMs : null;
    },
  };
}
