import { describe, expect, it } from 'vitest';
import type { UnmanagedReportInput } from '../../src/directory/store.js';
import { claim, holdJobs, newConnection, type SuiteContext } from './fixtures.js';

/** The latest report of accounts nobody manages, and the jobs that remove them. */
export function unmanagedTests(t: SuiteContext): void {
  describe('unmanaged accounts', () => {
    const account = (email: string, extra: Partial<UnmanagedReportInput['accounts'][number]> = {}): UnmanagedReportInput['accounts'][number] => ({
      email,
      targetId: `id-${email}`,
      name: null,
      role: 'Viewer',
      accountStatus: 'active',
      protection: null,
      action: 'report',
      note: null,
      ...extra,
    });

    it('has no report before the first, then replaces it whole, keeping when each account was first seen', async () => {
      const conn = newConnection();
      expect(await t.store().getUnmanagedReport(conn)).toBeNull();
      await t.store().putUnmanagedReport({ connection: conn, at: 1_000, policy: 'report', accounts: [account('b@example.com'), account('A@example.com', { targetId: null, accountStatus: 'invited' })] });
      const first = await t.store().getUnmanagedReport(conn);
      expect(first).toEqual({
        connection: conn,
        at: 1_000,
        policy: 'report',
        total: 2,
        accounts: [
          expect.objectContaining({ email: 'A@example.com', targetId: null, accountStatus: 'invited', firstSeenAt: 1_000 }),
          expect.objectContaining({ email: 'b@example.com', targetId: 'id-b@example.com', role: 'Viewer', protection: null, action: 'report', note: null, firstSeenAt: 1_000 }),
        ],
      });
      await t.store().putUnmanagedReport({
        connection: conn,
        at: 2_000,
        policy: 'remove',
        accounts: [account('a@example.com', { action: 'remove' }), account('c@example.com', { protection: 'last-admin', action: 'keep', note: 'the last admin' })],
      });
      const second = await t.other().getUnmanagedReport(conn);
      expect(second).toMatchObject({ at: 2_000, policy: 'remove', total: 2 });
      expect(second?.accounts).toEqual([
        expect.objectContaining({ email: 'a@example.com', action: 'remove', firstSeenAt: 1_000 }),
        expect.objectContaining({ email: 'c@example.com', protection: 'last-admin', action: 'keep', note: 'the last admin', firstSeenAt: 2_000 }),
      ]);
      expect((await t.store().getUnmanagedReport(conn, { limit: 1 }))?.accounts.map((a) => a.email)).toEqual(['a@example.com']);
      await t.store().putUnmanagedReport({ connection: conn, at: 3_000, policy: 'report', accounts: [] });
      expect(await t.store().getUnmanagedReport(conn)).toEqual({ connection: conn, at: 3_000, policy: 'report', total: 0, accounts: [] });
    });

    it('stores a large report (several insert batches)', async () => {
      const conn = newConnection();
      const accounts = Array.from({ length: 1_203 }, (_, i) => account(`u${String(i).padStart(5, '0')}@example.com`));
      await t.store().putUnmanagedReport({ connection: conn, at: 5, policy: 'report', accounts });
      const report = await t.store().getUnmanagedReport(conn);
      expect(report?.total).toBe(1_203);
      expect(report?.accounts).toHaveLength(1_203);
      expect(report?.accounts.at(-1)?.email).toBe('u01202@example.com');
    });

    it('enqueues account jobs once: an id with a job keeps it, held or not', async () => {
      const conn = newConnection();
      expect(await t.store().enqueueAccountJobs(conn, ['unmanaged:a@example.com', 'unmanaged:b@example.com', 'unmanaged:a@example.com'])).toBe(2);
      await holdJobs(t.store(), conn, ['unmanaged:a@example.com'], 'guard');
      expect(await t.store().enqueueAccountJobs(conn, ['unmanaged:a@example.com', 'unmanaged:b@example.com'])).toBe(0);
      const jobs = await t.store().listJobs(conn);
      expect(jobs.map((j) => [j.userId, j.generation, j.heldReason])).toEqual(
        expect.arrayContaining([
          ['unmanaged:a@example.com', 1, 'guard'],
          ['unmanaged:b@example.com', 1, null],
        ]),
      );
      const [claimed] = await t.store().claimJobs(conn, claim('w1'));
      expect(claimed?.userId).toBe('unmanaged:b@example.com');
      expect(await t.store().enqueueAccountJobs(conn, [])).toBe(0);
    });
  });
}
