import { describe, expect, it } from 'vitest';
import type { JobStats } from '../../src/directory/store.js';
import { claim, createUsers, ctx, holdJobs, jobsByUser, newConnection, userInput, waitPast, type SuiteContext } from './fixtures.js';

/** How far the database's clock and the test's may disagree (one machine: a few ms of rounding and round trip). */
const CLOCK_SLACK_MS = 20;

/** The outbox: enqueued with each write, coalesced, claimed with leases, completed, retried, held. */
export function jobTests(t: SuiteContext): void {
  describe('jobs', () => {
    it('enqueues a job in the same transaction as each user write', async () => {
      const conn = newConnection();
      const user = await t.store().createUser(conn, userInput('j@example.com'), ctx('r-create'));
      expect(await t.store().listJobs(conn)).toEqual([
        expect.objectContaining({ connection: conn, userId: user.id, generation: 1, reason: 'user.created', requestIds: ['r-create'], attempts: 0, lastError: null, heldReason: null }),
      ]);
      await t.store().replaceUser(conn, user.id, userInput('j@example.com'), {}, ctx('r-put'));
      expect((await jobsByUser(t.store(), conn)).get(user.id)).toMatchObject({ generation: 2, reason: 'user.replaced', requestIds: ['r-create', 'r-put'] });
      await t.store().deleteUser(conn, user.id, {}, ctx('r-del'));
      expect((await jobsByUser(t.store(), conn)).get(user.id)).toMatchObject({ generation: 3, reason: 'user.deleted' });
      // A failed write enqueues nothing.
      await t.store().createUser(conn, userInput('k@example.com'), ctx());
      await expect(t.store().createUser(conn, userInput('K@example.com'), ctx('dup'))).rejects.toThrow();
      expect((await t.store().listJobs(conn)).map((j) => j.requestIds.at(-1))).not.toContain('dup');
    });

    it('coalesces changes: generation, last 10 request ids, oldest enqueuedAt', async () => {
      const conn = newConnection();
      const user = await t.store().createUser(conn, userInput('c@example.com'), ctx('r0'));
      const first = (await t.store().listJobs(conn))[0]!;
      for (let i = 1; i <= 11; i++) await t.store().replaceUser(conn, user.id, userInput('c@example.com'), {}, ctx(`r${i}`));
      const jobs = await t.store().listJobs(conn);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ generation: 12, enqueuedAt: first.enqueuedAt });
      expect(jobs[0]!.requestIds).toEqual(['r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11']);
    });

    it('claims, completes, and keeps a job that changed while claimed', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      const claimed = await t.store().claimJobs(conn, claim('w1'));
      expect(claimed.map((j) => j.userId).sort()).toEqual([a, b].sort());
      expect(claimed[0]).toMatchObject({ workerId: 'w1' });
      expect(await t.store().claimJobs(conn, claim('w2'))).toEqual([]);
      const jobA = claimed.find((j) => j.userId === a)!;
      const jobB = claimed.find((j) => j.userId === b)!;
      expect(await t.store().completeJob(jobA)).toBe(true);
      await t.store().replaceUser(conn, b, userInput('user00001@example.com'), {}, ctx('meanwhile'));
      expect(await t.store().completeJob(jobB)).toBe(false);
      const again = await t.store().claimJobs(conn, claim('w2'));
      expect(again).toEqual([expect.objectContaining({ userId: b, generation: jobB.generation + 1, workerId: 'w2' })]);
      expect(await t.store().completeJob(again[0]!)).toBe(true);
      expect(await t.store().listJobs(conn)).toEqual([]);
    });

    it('retries after the delay, with the error and the pending write, and never claims held jobs', async () => {
      const conn = newConnection();
      const [a] = (await createUsers(t.store(), conn, 1)) as [string];
      const before = Date.now();
      const [job] = await t.store().claimJobs(conn, claim('w1'));
      expect(await t.store().retryJob(job!, { delayMs: 60_000, lastError: 'TARGET_TASK_PENDING: still running', pendingHandle: 'task-1' })).toBe(true);
      const [waiting] = await t.store().listJobs(conn);
      expect(waiting).toMatchObject({ attempts: 1, lastError: 'TARGET_TASK_PENDING: still running', pendingHandle: 'task-1' });
      expect(waiting!.availableAt).toBeGreaterThanOrEqual(before + 59_000);
      expect(await t.store().claimJobs(conn, claim('w1'))).toEqual([]);
      // A change makes it due at once (the backoff was for the older state) and keeps the pending write.
      await t.store().replaceUser(conn, a, userInput('user00000@example.com'), {}, ctx('newer'));
      const [again] = await t.store().claimJobs(conn, claim('w2'));
      expect(again).toMatchObject({ userId: a, attempts: 1, pendingHandle: 'task-1' });
      expect(await t.store().retryJob(again!, { delayMs: 0, lastError: 'TARGET_UNAVAILABLE: 503' })).toBe(true);
      const [due] = await t.store().claimJobs(conn, claim('w3'));
      expect(due).toMatchObject({ attempts: 2, pendingHandle: null });
      expect(await t.store().holdJob(due!, 'held')).toBe('held');
      expect(await t.store().retryJob(due!, { delayMs: 0, lastError: 'held' })).toBe(true);
      expect(await t.store().claimJobs(conn, claim('w4'))).toEqual([]);
    });

    it('holds a claimed job only while its lease holds it and nothing changed since the claim', async () => {
      const conn = newConnection();
      const [a, b, c] = (await createUsers(t.store(), conn, 3)) as [string, string, string];
      const claimed = await t.store().claimJobs(conn, claim('w1', 60_000));
      const jobOf = (userId: string): (typeof claimed)[number] => claimed.find((j) => j.userId === userId)!;
      // a: held, and the lease stays with the job (the worker records the run, then gives it back).
      expect(await t.store().holdJob(jobOf(a), 'guard')).toBe('held');
      expect((await jobsByUser(t.store(), conn)).get(a)).toMatchObject({ heldReason: 'guard', heldAt: expect.any(Number) });
      expect(await t.store().renewLeases(conn, [jobOf(a).leaseToken], 60_000)).toBe(3);
      // b changed while the guard looked: the newer change was never seen, so nothing is held.
      await t.store().replaceUser(conn, b, userInput('user00001@example.com'), {}, ctx('meanwhile'));
      expect(await t.store().holdJob(jobOf(b), 'guard')).toBe('changed');
      expect((await jobsByUser(t.store(), conn)).get(b)).toMatchObject({ heldReason: null, generation: jobOf(b).generation + 1 });
      // c's lease ran out and another worker took it: the first worker's hold is refused.
      await t.store().releaseJob(jobOf(c));
      const [taken] = await t.store().claimJobs(conn, claim('w2'));
      expect(taken?.userId).toBe(c);
      expect(await t.store().holdJob(jobOf(c), 'guard')).toBe('lease-lost');
      expect((await jobsByUser(t.store(), conn)).get(c)?.heldReason).toBeNull();
      expect(await t.store().holdJob(taken!, 'guard')).toBe('held');
      expect((await t.store().listJobs(conn, { held: true })).map((j) => j.userId).sort()).toEqual([a, c].sort());
    });

    it('forgets a pending write once final, only under the lease and only the handle it keeps', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 1);
      const [first] = await t.store().claimJobs(conn, claim('w1'));
      expect(await t.store().retryJob(first!, { delayMs: 0, lastError: 'TARGET_TASK_PENDING: still running', pendingHandle: 'task-1' })).toBe(true);
      const [job] = await t.store().claimJobs(conn, claim('w2'));
      expect(job).toMatchObject({ pendingHandle: 'task-1' });
      // The lease that let go of the job, or another task's handle: nothing changes.
      expect(await t.store().settlePending(first!, 'task-1')).toBe(false);
      expect(await t.store().settlePending(job!, 'task-2')).toBe(false);
      expect((await t.store().listJobs(conn))[0]?.pendingHandle).toBe('task-1');
      expect(await t.store().settlePending(job!, 'task-1')).toBe(true);
      expect((await t.store().listJobs(conn))[0]).toMatchObject({ pendingHandle: null, lastError: 'TARGET_TASK_PENDING: still running' });
    });

    it('holds and releases jobs, and reports queue figures', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      // c's change comes clearly later than a's and b's, so the figures tell whose age they show.
      waitPast(Date.now() + 50);
      const [c] = (await createUsers(t.store(), conn, 1, 'late')) as [string];
      await holdJobs(t.store(), conn, [a, b], 'mass deprovisioning: 2 deletions');
      const inFlightC = await t.store().claimJobs(conn, claim('w1'));
      expect(inFlightC.map((j) => j.userId)).toEqual([c]);
      expect((await t.store().listJobs(conn, { held: true })).map((j) => j.heldReason)).toEqual(['mass deprovisioning: 2 deletions', 'mass deprovisioning: 2 deletions']);
      expect((await t.store().listJobs(conn, { held: false })).map((j) => j.userId)).toEqual([c]);
      await t.store().replaceUser(conn, a, userInput('user00000@example.com'), {}, ctx());
      expect((await jobsByUser(t.store(), conn)).get(a)?.heldReason).toBe('mass deprovisioning: 2 deletions');

      const enqueued = new Map([...(await jobsByUser(t.store(), conn))].map(([id, job]) => [id, job.enqueuedAt]));
      const ageOf = async (id: string): Promise<{ stats: JobStats | undefined; min: number; max: number }> => {
        const before = Date.now();
        const stats = (await t.store().jobStats()).find((s) => s.connection === conn);
        return { stats, min: before - enqueued.get(id)! - CLOCK_SLACK_MS, max: Date.now() - enqueued.get(id)! + CLOCK_SLACK_MS };
      };
      // c is in flight (leased) and a, b are held: c's change is the oldest not yet applied.
      const inFlight = await ageOf(c);
      expect(inFlight.stats).toMatchObject({ connection: conn, pending: 1, held: 2 });
      expect(inFlight.stats?.oldestAgeMs).toBeGreaterThanOrEqual(inFlight.min);
      expect(inFlight.stats?.oldestAgeMs).toBeLessThanOrEqual(inFlight.max);

      expect(await t.store().releaseJobs(conn, [a])).toBe(1);
      expect(await t.store().releaseJobs(conn)).toBe(1);
      expect(await t.store().releaseJobs(conn)).toBe(0);
      // Released, a's change is the oldest again.
      const waiting = await ageOf(a);
      expect(waiting.stats).toMatchObject({ pending: 3, held: 0 });
      expect(waiting.stats?.oldestAgeMs).toBeGreaterThanOrEqual(waiting.min);
      expect(waiting.stats?.oldestAgeMs).toBeLessThanOrEqual(waiting.max);
      const released = await t.store().claimJobs(conn, claim('w2'));
      expect(released.map((j) => j.userId).sort()).toEqual([a, b].sort());
      // Released jobs carry the approval the mass-deprovisioning guard lets through.
      expect(released.map((j) => j.reason)).toEqual(['approved', 'approved']);
      expect((await t.store().jobStats()).find((s) => s.connection === conn)).toMatchObject({ pending: 3, held: 0, oldestAgeMs: expect.any(Number) });
      for (const job of [...released, ...inFlightC]) expect(await t.store().holdJob(job, 'test')).toBe('held');
      // Only held jobs left: nothing is waiting to be applied.
      expect((await t.store().jobStats()).find((s) => s.connection === conn)).toMatchObject({ pending: 0, held: 3, oldestAgeMs: null });
    });

    it('keeps a parked failure (waiting out the long heal backoff) out of pending and the oldest age, and counts it as failed', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      const claimed = await t.store().claimJobs(conn, claim('w'));
      const jobA = claimed.find((j) => j.userId === a)!;
      const jobB = claimed.find((j) => j.userId === b)!;
      // a failed for good and waits hours for its next try; b is a transient retry.
      expect(await t.store().retryJob(jobA, { delayMs: 6 * 3600_000, lastError: 'TARGET_AUTH: wrong key', parked: true })).toBe(true);
      expect(await t.store().retryJob(jobB, { delayMs: 60_000, lastError: 'TARGET_UNAVAILABLE: 503' })).toBe(true);
      const stats = (await t.store().jobStats()).find((s) => s.connection === conn);
      expect(stats).toMatchObject({ pending: 1, held: 0, failed: 1 });
      // The oldest age is b's, still counting; without b nothing is pending and there is no age.
      expect(stats?.oldestAgeMs).toEqual(expect.any(Number));
      const [again] = await t.store().claimJobs(conn, claim('w2'));
      expect(again).toBeUndefined();
      await t.store().deleteUser(conn, b, {}, ctx());
      await t.store().enqueueJobs(conn, 'reconcile', [b]);
      for (const job of await t.store().claimJobs(conn, claim('w3'))) await t.store().completeJob(job);
      expect((await t.store().jobStats()).find((s) => s.connection === conn)).toMatchObject({ pending: 0, failed: 1, oldestAgeMs: null });
      // A new change to the parked user makes it pending again (due now, counted, aging).
      await t.store().enqueueJobs(conn, 'reconcile', [a]);
      expect((await t.store().jobStats()).find((s) => s.connection === conn)).toMatchObject({ pending: 1, failed: 0, oldestAgeMs: expect.any(Number) });
      // Parked again after a failed run; a run that failed while a newer change came is not parked (it is due now).
      const [rerun] = await t.store().claimJobs(conn, claim('w4'));
      expect(await t.store().retryJob(rerun!, { delayMs: 6 * 3600_000, lastError: 'TARGET_AUTH: wrong key', parked: true })).toBe(true);
      expect((await t.store().jobStats()).find((s) => s.connection === conn)).toMatchObject({ pending: 0, failed: 1 });
      await t.store().enqueueJobs(conn, 'reconcile', [a]);
      const [third] = await t.store().claimJobs(conn, claim('w5'));
      await t.store().enqueueJobs(conn, 'reconcile', [a]);
      expect(await t.store().retryJob(third!, { delayMs: 6 * 3600_000, lastError: 'TARGET_AUTH: wrong key', parked: true })).toBe(true);
      expect((await t.store().jobStats()).find((s) => s.connection === conn)).toMatchObject({ pending: 1, failed: 0 });
    });

    it('enqueues jobs on demand for known users, tombstones included', async () => {
      const conn = newConnection();
      const [a, b] = (await createUsers(t.store(), conn, 2)) as [string, string];
      await t.store().deleteUser(conn, b, {}, ctx());
      for (const job of await t.store().claimJobs(conn, claim('w'))) await t.store().completeJob(job);
      expect(await t.store().enqueueJobs(conn, 'reconcile')).toBe(2);
      expect(await t.store().enqueueJobs(conn, 'reconcile', [a, a, 'unknown'], 'cli')).toBe(1);
      const jobs = await jobsByUser(t.store(), conn);
      expect(jobs.get(a)).toMatchObject({ reason: 'reconcile', generation: 2, requestIds: ['cli'] });
      expect(jobs.get(b)).toMatchObject({ reason: 'reconcile', generation: 1, requestIds: [] });
    });

    it('says how long until one of some jobs can be claimed, on its own clock, and null when none is left that can', async () => {
      const conn = newConnection();
      const [a, b, c, d] = (await createUsers(t.store(), conn, 4)) as [string, string, string, string];
      expect(await t.store().claimableIn(conn, [])).toBeNull();
      expect(await t.store().claimableIn(conn, [a, 'unknown'])).toBe(0);
      const claimed = await t.store().claimJobs(conn, claim('w1', 60_000));
      const jobOf = (userId: string): (typeof claimed)[number] => claimed.find((j) => j.userId === userId)!;
      // Leased: claimable once the lease runs out.
      expect(await t.store().claimableIn(conn, [a])).toBeGreaterThan(60_000 - CLOCK_SLACK_MS - 1_000);
      await t.store().releaseJob(jobOf(a), 30_000);
      const inA = await t.store().claimableIn(conn, [a]);
      expect(inA).toBeGreaterThan(30_000 - 1_000);
      expect(inA).toBeLessThanOrEqual(30_000);
      await t.store().releaseJob(jobOf(c), 5_000);
      const inAC = await t.store().claimableIn(conn, [a, c]);
      expect(inAC).toBeGreaterThan(5_000 - 1_000);
      expect(inAC).toBeLessThanOrEqual(5_000);
      // Held, parked (failed for good) or gone: nobody can claim it.
      await holdJobs(t.store(), conn, [a, c], 'held');
      expect(await t.store().retryJob(jobOf(b), { delayMs: 1_000, lastError: 'PERMANENT', parked: true })).toBe(true);
      expect(await t.store().completeJob(jobOf(d))).toBe(true);
      expect(await t.store().claimableIn(conn, [a, b, c, d])).toBeNull();
    });

    it('claims no more jobs than the limit', async () => {
      for (let round = 0; round < 5; round++) {
        const conn = newConnection();
        await createUsers(t.store(), conn, 3);
        for (let i = 0; i < 3; i++) expect(await t.store().claimJobs(conn, claim(`w${i}`, 60_000, 1))).toHaveLength(1);
        expect(await t.store().claimJobs(conn, claim('w3', 60_000, 1))).toEqual([]);
      }
    });

    it('never hands the same job to two concurrent claimers, across store instances', async () => {
      const conn = newConnection();
      await createUsers(t.store(), conn, 60);
      const seen: string[] = [];
      for (let round = 0; round < 10 && seen.length < 60; round++) {
        const batches = await Promise.all(
          [t.store(), t.other(), t.store(), t.other()].map((s, i) => s.claimJobs(conn, claim(`w${i}`, 60_000, 7))),
        );
        seen.push(...batches.flat().map((j) => j.userId));
      }
      expect(seen).toHaveLength(60);
      expect(new Set(seen).size).toBe(60);
    });
  });
}
