import { randomUUID } from 'node:crypto';
import { expect, vi } from 'vitest';
import type { UserInput, WriteContext } from '../../src/directory/model.js';
import type { Store } from '../../src/directory/store.js';

/** What every part of the store suite gets: the store under test and a second instance on the same database. */
export interface SuiteContext {
  store(): Store;
  /** Another store instance on the same database (another replica or process). */
  other(): Store;
}

/** A connection name of its own per test, so tests share a database without seeing each other's rows. */
export function newConnection(): string {
  return `c_${randomUUID().slice(0, 12)}`;
}

/** A write context with a request id. */
export function ctx(requestId = 'req-1'): WriteContext {
  return { requestId };
}

/** A user input whose attributes look like what the SCIM layer stores. */
export function userInput(userName: string, extra: Partial<UserInput> = {}): UserInput {
  const emails = extra.emails ?? [];
  return {
    userName,
    externalId: null,
    active: true,
    emails,
    ...extra,
    attributes: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      active: extra.active ?? true,
      ...(emails.length > 0 ? { emails } : {}),
      ...extra.attributes,
    },
  };
}

/** Creates users one after the other; returns their ids in creation order. */
export async function createUsers(store: Store, connection: string, count: number, prefix = 'user'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await store.createUser(connection, userInput(`${prefix}${String(i).padStart(5, '0')}@example.com`), ctx())).id);
  }
  return ids;
}

/** Creates many users concurrently (order not kept); returns their ids. */
export async function createManyUsers(store: Store, connection: string, count: number, prefix = 'bulk'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, (_, j) => `${prefix}${i + j}@example.com`);
    const created = await Promise.all(batch.map((name) => store.createUser(connection, userInput(name), ctx())));
    ids.push(...created.map((u) => u.id));
  }
  return ids;
}

/** Asserts that a promise rejects with a BridgeError of this code; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error & { code: string; kind: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toBe(code);
  return err as Error & { code: string; kind: string };
}

/** Spins until the clock has passed `ms` (timestamps are milliseconds; some tests need a later one). */
export function waitPast(ms: number): void {
  while (Date.now() <= ms) {
    // busy wait: at most a millisecond or two
  }
}

/** The jobs of a connection keyed by user id. */
export async function jobsByUser(store: Store, connection: string): Promise<Map<string, Awaited<ReturnType<Store['listJobs']>>[number]>> {
  const jobs = await store.listJobs(connection, { limit: 100_000 });
  return new Map(jobs.map((job) => [job.userId, job]));
}

/** Claim options: a worker, a lease (default 60 s) and a batch size (default 10). */
export function claim(workerId: string, leaseMs = 60_000, limit = 10): { workerId: string; leaseMs: number; limit: number } {
  return { workerId, leaseMs, limit };
}

/** Runs `fn` while this process's clock (Date) is `skewMs` off, as on a replica whose clock drifted; the database keeps its own. */
export async function withSkewedClock<T>(skewMs: number, fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    vi.setSystemTime(Date.now() + skewMs);
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

/**
 * Holds these users' jobs as a worker's guard does: leases each job (it must exist and be free),
 * holds it under that lease, gives the lease back.
 */
export async function holdJobs(store: Store, connection: string, userIds: readonly string[], reason: string): Promise<void> {
  for (const userId of userIds) {
    const job = await store.leaseJob(connection, userId, { workerId: 'test-hold', leaseMs: 60_000 });
    if (job === null) throw new Error(`the job of ${userId} is leased: hold the claimed job itself`);
    const isHeld = !job.isNew && (await store.holdJob(job, reason)) === 'held';
    await store.releaseJob(job);
    if (!isHeld) throw new Error(`no job of ${userId} to hold`);
  }
}
