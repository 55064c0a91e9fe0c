import { BridgeError } from '../errors.js';

/**
 * In-memory token buckets keyed by client (a credential digest, or an address for failed
 * logins). Bounded: the oldest keys are dropped past `maxKeys`.
 */
export interface RateLimiter {
  /** Takes one token for `key`, or throws RATE_LIMITED with the wait in `retryAfterMs`. */
  take(key: string, now?: number): void;
  /** Whether `key` would be refused now, without taking a token. */
  isLimited(key: string, now?: number): boolean;
}

/** A limiter of `perMinute` requests per key, allowing bursts up to `burst` (default: perMinute / 6, at least 10). */
export function createRateLimiter(perMinute: number, options: { burst?: number; maxKeys?: number; message?: string } = {}): RateLimiter {
  const ratePerMs = perMinute / 60_000;
  const capacity = options.burst ?? Math.max(10, Math.ceil(perMinute / 6));
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const refill = (key: string, now: number): { tokens: number; at: number } => {
    const bucket = buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * ratePerMs);
    bucket.at = now;
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
    return bucket;
  };

  return {
    take(key, now = Date.now()) {
      const bucket = refill(key, now);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const retryAfterMs = Math.ceil((1 - bucket.tokens) / ratePerMs);
      throw new BridgeError('RATE_LIMITED', options.message ?? 'too many requests; retry after the time in Retry-After', { retryAfterMs });
    },
    isLimited(key, now = Date.now()) {
      return refill(key, now).tokens < 1;
    },
  };
}
