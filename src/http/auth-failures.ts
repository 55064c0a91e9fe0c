import { createRateLimiter } from './rate-limit.js';

/**
 * The brake on failed authentications, shared by SCIM requests and the OAuth token endpoint.
 * Valid credentials are checked first and never braked; only a failure is counted, against the
 * source that failed: one connection and one client address (as `http.trustProxy` resolves
 * it). Someone else's failures, from another address, or against another connection, never
 * slow down the IdP.
 *
 * The in-process implementation below counts per bridge process. Across replicas on
 * PostgreSQL, a store-backed implementation of {@link AuthFailureLimiter} takes its place: it
 * needs one atomic "take a token from bucket K (capacity C, refilled at R per ms), on the
 * database's clock" that answers the wait until the next token when the bucket is empty, with
 * idle buckets expiring. Nothing else in the bridge changes.
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
