import { randomUUID } from 'node:crypto';
import { sleep, type RequestLimiter } from '../connectors/http-client.js';
import type { Coordination } from '../directory/coordination.js';
import type { Logger } from '../logging/logger.js';
import { createRateLimiter, Mutex, type WriteLock } from './limits.js';

/**
 * Limits toward a target that hold across every replica sharing the store (docs/architecture.md, promise
 * 11), built on the store's {@link Coordination}: the request rate is one token bucket in the
 * database, and writes to one Redis Cloud account take one named lease. With SQLite the store
 * serves one process, and the same code simply runs there.
 */

/**
 * A rate of `perSecond` requests (bursts up to one second's worth) shared by every replica: each
 * request reserves the next token of the bucket `key` and waits its turn. When the store cannot
 * be reached, the process falls back to a bucket of its own (the target stays protected, at
 * worst at the rate times the replicas) and says so once.
 */
export function createSharedRateLimiter(coordination: Coordination, key: string, perSecond: number, logger: Logger): RequestLimiter {
  const bucket = { ratePerSecond: perSecond, burst: Math.max(1, perSecond), reserve: true };
  const local = createRateLimiter(perSecond);
  let isFallingBack = false;
  return {
    async acquire(signal) {
      let waitMs: number;
      try {
        waitMs = await coordination.takeToken(key, bucket);
      } catch (err) {
        if (!isFallingBack) logger.error('cannot reach the store for the shared rate limit: limiting this process alone', { error: err instanceof Error ? err.message : String(err) });
        isFallingBack = true;
        return local.acquire(signal);
      }
      if (isFallingBack) logger.info('shared rate limit restored');
      isFallingBack = false;
      if (waitMs > 0) await sleep(waitMs, signal);
    },
  };
}

/** Options of {@link SharedWriteLock}. */
export interface SharedWriteLockOptions {
  /** Names this process in lease holders (host:pid). */
  holderPrefix: string;
  /** Lease length, renewed every third of it while the write runs. Default 30 s. */
  ttlMs?: number;
}

const firstPollMs = 10;
const maxPollMs = 200;

/**
 * One write at a time across replicas: within the process a {@link Mutex} queues callers, and the
 * one at its head takes the named lease, polling (10 ms, doubling to 200 ms, jittered) while
 * another replica holds it. A replica killed mid-write stops renewing, so its lease runs out
 * within `ttlMs` and the others go on.
 */
export class SharedWriteLock implements WriteLock {
  private readonly local = new Mutex();
  private readonly ttlMs: number;

  constructor(
    private readonly coordination: Coordination,
    private readonly name: string,
    private readonly options: SharedWriteLockOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
  }

  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.local.run(() => this.holding(fn, signal));
  }

  private async holding<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const holder = `${this.options.holderPrefix}:${randomUUID()}`;
    await this.acquire(holder, signal);
    const renewal = setInterval(() => void this.coordination.acquireLease(this.name, holder, this.ttlMs).catch(() => undefined), Math.max(10, Math.floor(this.ttlMs / 3)));
    renewal.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renewal);
      // A release that fails leaves the lease to run out: the others wait at most ttlMs.
      await this.coordination.releaseLease(this.name, holder).catch(() => undefined);
    }
  }

  private async acquire(holder: string, signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (await this.coordination.acquireLease(this.name, holder, this.ttlMs)) return;
      const pause = Math.min(maxPollMs, firstPollMs * 2 ** Math.min(attempt, 10));
      await sleep(Math.round(pause * (0.5 + Math.random() / 2)), signal);
    }
  }
}
