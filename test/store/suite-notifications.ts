import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newConnection, withSkewedClock, type SuiteContext } from './fixtures.js';

/**
 * The notification outbox (Store.enqueueNotifications and friends): rows stay until a
 * dispatcher completes them, claims are leased on the database's clock and exclusive across
 * store instances (replicas).
 */
export function notificationTests(t: SuiteContext): void {
  describe('notification outbox', () => {
    const queue = async (webhook: string, count: number): Promise<string[]> => {
      const ids = Array.from({ length: count }, () => randomUUID());
      await t.store().enqueueNotifications(ids.map((id, i) => ({ id, webhook, event: { kind: 'failed', n: i } })));
      return ids;
    };

    it('queues each id once and claims a webhook\'s rows oldest first, with the event as queued', async () => {
      const webhook = newConnection();
      const [first, second] = await queue(webhook, 2);
      expect(await t.store().enqueueNotifications([{ id: first as string, webhook, event: { kind: 'again' } }])).toBe(0);
      await queue(newConnection(), 1);
      const claimed = await t.store().claimNotifications(webhook, { limit: 10, leaseMs: 60_000 });
      // Oldest first; rows queued in the same millisecond come in id order.
      expect(new Set(claimed.map((c) => c.id))).toEqual(new Set([first, second]));
      expect(claimed.map((c) => c.id)).toEqual([...claimed].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map((c) => c.id));
      const firstClaimed = claimed.find((c) => c.id === first);
      expect(firstClaimed?.event).toEqual({ kind: 'failed', n: 0 });
      expect(firstClaimed?.attempts).toBe(0);
    });

    it('gives a claimed row to no other claimant until its lease runs out (database clock)', async () => {
      const webhook = newConnection();
      await queue(webhook, 3);
      const mine = await t.store().claimNotifications(webhook, { limit: 2, leaseMs: 60_000 });
      const theirs = await t.other().claimNotifications(webhook, { limit: 10, leaseMs: 60_000 });
      expect(mine).toHaveLength(2);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]?.id).not.toBe(mine[0]?.id);
      // A caller whose clock runs ten minutes ahead still sees the lease.
      expect(await withSkewedClock(600_000, () => t.other().claimNotifications(webhook, { limit: 10, leaseMs: 60_000 }))).toEqual([]);
      const short = newConnection();
      await queue(short, 1);
      await t.store().claimNotifications(short, { limit: 1, leaseMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await t.other().claimNotifications(short, { limit: 1, leaseMs: 60_000 })).toHaveLength(1);
    });

    it('deletes completed rows, and only while the claim holds them', async () => {
      const webhook = newConnection();
      await queue(webhook, 2);
      const stale = await t.store().claimNotifications(webhook, { limit: 2, leaseMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const fresh = await t.other().claimNotifications(webhook, { limit: 2, leaseMs: 60_000 });
      expect(await t.store().completeNotifications(stale)).toBe(0);
      expect(await t.other().completeNotifications(fresh)).toBe(2);
      expect(await t.store().claimNotifications(webhook, { limit: 2, leaseMs: 60_000 })).toEqual([]);
    });

    it('frees rows for a later attempt, counting attempts only for failed deliveries', async () => {
      const webhook = newConnection();
      await queue(webhook, 1);
      const claimed = await t.store().claimNotifications(webhook, { limit: 1, leaseMs: 60_000 });
      expect(await t.store().retryNotifications(claimed, { delayMs: 60_000, lastError: 'HTTP 500', isAttempt: true })).toBe(1);
      expect(await t.store().claimNotifications(webhook, { limit: 1, leaseMs: 60_000 })).toEqual([]);
      const [stats] = (await t.store().notificationStats()).filter((s) => s.webhook === webhook);
      expect(stats).toMatchObject({ pending: 1, maxAttempts: 1 });
      const again = newConnection();
      await queue(again, 1);
      const deferred = await t.store().claimNotifications(again, { limit: 1, leaseMs: 60_000 });
      await t.store().retryNotifications(deferred, { delayMs: 0, lastError: null, isAttempt: false });
      const [back] = await t.other().claimNotifications(again, { limit: 1, leaseMs: 60_000 });
      expect(back).toMatchObject({ attempts: 0, lastError: null });
    });
  });
}
