import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coordination } from '../../../src/directory/coordination.js';
import { createStore } from '../../../src/directory/create-store.js';
import type { Store } from '../../../src/directory/store.js';
import { createLogger } from '../../../src/logging/logger.js';
import { createSharedRateLimiter, SharedWriteLock } from '../../../src/sync/shared-limits.js';
import { PassThrough } from 'node:stream';

/** The shared limits over a real (in-memory SQLite) store; two instances stand for two replicas. */
describe('shared limits', () => {
  let store: Store;
  beforeAll(async () => {
    store = createStore('sqlite::memory:');
    await store.migrate();
  });
  afterAll(() => store.close());

  it('runs one write at a time across two locks on one lease, in turn', async () => {
    const replicas = [new SharedWriteLock(store, 'writes:a', { holderPrefix: 'r1' }), new SharedWriteLock(store, 'writes:a', { holderPrefix: 'r2' })];
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        replicas[i % 2]!.run(async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order).toHaveLength(10);
    // The lease is given back: another holder takes it at once.
    expect(await store.acquireLease('writes:a', 'someone', 1000)).toBe(true);
  });

  it('releases the lease when the write fails, and stops waiting when aborted', async () => {
    const lock = new SharedWriteLock(store, 'writes:b', { holderPrefix: 'r1' });
    await expect(lock.run(() => Promise.reject(new Error('target said no')))).rejects.toThrow('target said no');
    expect(await store.acquireLease('writes:b', 'other', 60_000)).toBe(true);
    const abort = new AbortController();
    const waiting = lock.run(() => Promise.resolve('never'), abort.signal);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('queues requests of two limiters on one bucket at the shared rate', async () => {
    const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
    const limiters = [createSharedRateLimiter(store, 'rate:a', 20, logger), createSharedRateLimiter(store, 'rate:a', 20, logger)];
    const started = Date.now();
    // 20 free at once (one second's worth), then 20 per second: 30 requests need about half a second more.
    await Promise.all(Array.from({ length: 30 }, (_, i) => limiters[i % 2]!.acquire()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('falls back to a bucket of its own when the store cannot be reached, and says so once', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const broken = { takeToken: () => Promise.reject(new Error('connection refused')) } as unknown as Coordination;
    const limiter = createSharedRateLimiter(broken, 'rate:b', 1000, createLogger({ level: 'info', format: 'json', stream }));
    await limiter.acquire();
    await limiter.acquire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((l) => l.includes('cannot reach the store for the shared rate limit'))).toHaveLength(1);
  });
});
