import type { Logger } from '../logging/logger.js';
import type { AuthFailureLimiter, FailureSource } from './auth-failures.js';

/**
 * Failed authentications (SCIM tokens, Basic credentials, token-endpoint clients) in the log. One
 * refused token usually means the IdP holds a wrong or rotated secret: a person must fix it, so
 * it is a `warn`, naming the connection and the client address, never the credential. A
 * misconfigured IdP retries all day and a guesser sends thousands: per connection, one `warn`
 * per window, the next one saying how many were left out; the others are `debug`.
 */

/** Options of {@link withFailureLog}. */
export interface FailureLogOptions {
  /** How long one warning stands for a connection's failures. Default 60 s. */
  windowMs?: number;
  now?: () => number;
}

/** Wraps a limiter so every failure it counts is logged (rate-limited per connection). */
export function withFailureLog(limiter: AuthFailureLimiter, logger: Logger, options: FailureLogOptions = {}): AuthFailureLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { startedAt: number; suppressed: number }>();
  const report = (source: FailureSource, braked: boolean): void => {
    const at = now();
    const fields = { connection: source.connection, client: source.client, braked };
    const current = windows.get(source.connection);
    if (current && at - current.startedAt < windowMs) {
      current.suppressed++;
      logger.debug('authentication failed', fields);
      return;
    }
    windows.set(source.connection, { startedAt: at, suppressed: 0 });
    logger.warn('authentication failed', {
      ...fields,
      ...(current && current.suppressed > 0 ? { suppressed: current.suppressed } : {}),
      hint: 'the credentials sent are not configured for this connection: check the token (or client secret) in the IdP against the bridge configuration',
    });
  };
  return {
    async recordFailure(source, at) {
      const waitMs = await limiter.recordFailure(source, at);
      report(source, waitMs !== null);
      return waitMs;
    },
  };
}
