import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/bridge.js';
import { newConnection, withSkewedClock, type SuiteContext } from './fixtures.js';

const TEN_MINUTES = 10 * 60_000;

/**
 * The coordination primitives replicas share (Coordination in src/directory/coordination.ts):
 * token buckets, named leases and sliding windows, each atomic across store instances and on
 * the database's clock.
 */
export function coordinationTests(t: SuiteContext): void {
  describe('coordination', () => {
    it('takes tokens up to the burst, then says how long until the next one', async () => {
      const key = newConnection();
      const bucket = { ratePerSecond: 1, burst: 2 };
      expect(await t.store().takeToken(key, bucket)).toBe(0);
      expect(await t.other().takeToken(key, bucket)).toBe(0);
      const refused = await t.store().takeToken(key, bucket);
      expect(refused).toBeGreaterThan(900);
      expect(refused).toBeLessThanOrEqual(1000);
      // A refusal takes nothing: asking again gives the same wait, not a longer one.
      expect(await t.other().takeToken(key, bucket)).toBeLessThanOrEqual(refused);
      // A reservation takes the next token and queues the one after it behind.
      const first = await t.store().takeToken(key, { ...bucket, reserve: true });
      const second = await t.other().takeToken(key, { ...bucket, reserve: true });
      expect(first).toBeLessThanOrEqual(1000);
      expect(second - first).toBeGreaterThan(900);
      expect(second - first).toBeLessThanOrEqual(1001);
    });

    it('hands each concurrent reservation its own slot, across store instances', async () => {
      const key = newConnection();
      const bucket = { ratePerSecond: 1, burst: 1, reserve: true };
      const waits = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? t.store() : t.other()).takeToken(key, bucket)));
      const sorted = [...waits].sort((a, b) => a - b);
      expect(sorted[0]).toBe(0);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThan(900);
    });

    it('refills on the database clock, whatever the caller\'s clock says', async () => {
      const key = newConnection();
      const bucket = { ratePerSecond: 1, burst: 1 };
      expect(await t.store().takeToken(key, bucket)).toBe(0);
      expect(await withSkewedClock(TEN_MINUTES, () => t.other().takeToken(key, bucket))).toBeGreaterThan(900);
    });

    it('grants a lease to one holder at a time, extends it for that holder, and frees it on release', async () => {
      const name = newConnection();
      expect(await t.store().acquireLease(name, 'a', 60_000)).toBe(true);
      expect(await t.other().acquireLease(name, 'b', 60_000)).toBe(false);
      expect(await t.store().acquireLease(name, 'a', 60_000)).toBe(true);
      await t.other().releaseLease(name, 'b');
      expect(await t.other().acquireLease(name, 'b', 60_000)).toBe(false);
      await t.store().releaseLease(name, 'a');
      expect(await t.other().acquireLease(name, 'b', 60_000)).toBe(true);
    });

    it('lets a lease run out on the database clock only', async () => {
      const name = newConnection();
      expect(await t.store().acquireLease(name, 'a', 60_000)).toBe(true);
      expect(await withSkewedClock(TEN_MINUTES, () => t.other().acquireLease(name, 'b', 60_000))).toBe(false);
      await t.store().releaseLease(name, 'a');
      expect(await t.store().acquireLease(name, 'a', 50)).toBe(true);
      await eventually(() => t.other().acquireLease(name, 'b', 60_000), { what: 'the short lease to run out' });
      expect(await t.store().acquireLease(name, 'a', 60_000)).toBe(false);
    });

    it('counts events up to the limit of a sliding window, says when room comes back, and resets', async () => {
      const key = newConnection();
      const window = { windowMs: 60_000, limit: 3 };
      for (let i = 1; i <= 3; i++) expect(await (i % 2 === 0 ? t.other() : t.store()).countInWindow(key, window)).toEqual({ counted: true, count: i, retryAfterMs: 0 });
      const full = await t.other().countInWindow(key, window);
      expect(full).toMatchObject({ counted: false, count: 3 });
      expect(full.retryAfterMs).toBeGreaterThan(55_000);
      expect(full.retryAfterMs).toBeLessThanOrEqual(60_000);
      // A larger limit has room; a smaller one names the event whose expiry frees a slot.
      expect(await t.store().countInWindow(key, { windowMs: 60_000, limit: 4 })).toMatchObject({ counted: true, count: 4 });
      await t.store().resetWindow(key);
      expect(await t.other().countInWindow(key, window)).toEqual({ counted: true, count: 1, retryAfterMs: 0 });
    });

    it('lets old events fall out of the window', async () => {
      const key = newConnection();
      const window = { windowMs: 100, limit: 1 };
      expect((await t.store().countInWindow(key, window)).counted).toBe(true);
      expect((await t.other().countInWindow(key, window)).counted).toBe(false);
      await eventually(async () => (await t.other().countInWindow(key, window)).counted, { what: 'the event to leave the window' });
    });

    it('never counts more than the limit under concurrent callers on two store instances', async () => {
      const key = newConnection();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? t.store() : t.other()).countInWindow(key, { windowMs: 60_000, limit: 5 })));
      expect(results.filter((r) => r.counted)).toHaveLength(5);
    });

    it('prunes expired leases, refilled buckets and old events', async () => {
      const key = newConnection();
      await t.store().acquireLease(key, 'a', 1);
      await t.store().takeToken(key, { ratePerSecond: 1000, burst: 1 });
      await t.store().countInWindow(key, { windowMs: 1, limit: 1 });
      await eventually(async () => (await t.other().pruneCoordination()) >= 0 && (await t.store().acquireLease(key, 'b', 60_000)), { what: 'the lease to run out' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await t.store().pruneCoordination()).toBeGreaterThanOrEqual(0);
      expect(await t.store().countInWindow(key, { windowMs: 60_000, limit: 1 })).toMatchObject({ counted: true, count: 1 });
    });
  });
}
