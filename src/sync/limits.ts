import { sleep, type RequestLimiter } from '../connectors/http-client.js';

/** Per-connection limits toward a target: a request rate, a write lock, retry backoff. */

/** A token bucket of `perSecond` requests (bursts up to one second's worth). */
export function createRateLimiter(perSecond: number): RequestLimiter {
  const capacity = Math.max(1, perSecond);
  let tokens = capacity;
  let at = Date.now();
  let queue: Promise<void> = Promise.resolve();
  const takeOne = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      const now = Date.now();
      tokens = Math.min(capacity, tokens + ((now - at) / 1000) * perSecond);
      at = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - tokens) / perSecond) * 1000), signal);
    }
  };
  return {
    acquire(signal) {
      // Callers queue in order, so a burst cannot starve an early caller.
      const turn = queue.then(() => takeOne(signal));
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}

/** Runs one task at a time (Redis Cloud processes one task per account, Redis Cloud's task docs). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier holder is done. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Exponential backoff with full jitter, capped. `attempt` starts at 0. */
export function backoffDelay(attempt: number, baseMs = 1_000, capMs = 15 * 60_000, random: () => number = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(baseMs / 2, Math.round(random() * step));
}
