import { isDeepStrictEqual } from 'node:util';
import type { UserInput } from '../../src/directory/model.js';
import type { Store } from '../../src/directory/store.js';
import { userInputFromBody } from '../../src/scim/resources.js';
import { progress } from './run-info.js';

/**
 * Bench users: an Okta-shaped SCIM User body per number, and bulk seeding straight through the
 * Store API (one `createUser` transaction per user, with its outbox job, as a SCIM POST writes),
 * without HTTP and without scimmy's ~1 ms of coercion per body: the body of one marker user is
 * ingested once by `userInputFromBody`, the very function a SCIM POST uses, and every seeded
 * user is that result with the marker number replaced.
 */

/** The userName of bench user `n`. */
export const benchUserName = (n: number, prefix = 'user'): string => `${prefix}${n}@bench.example.com`;

/** A SCIM User body as Okta sends it on create (docs/okta.md). */
export function benchUserBody(n: number, prefix = 'user'): Record<string, unknown> {
  const email = benchUserName(n, prefix);
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    externalId: `00u${prefix}${n}`,
    name: { givenName: `Given${n}`, familyName: `Family${n}` },
    displayName: `Given${n} Family${n}`,
    emails: [{ primary: true, value: email, type: 'work' }],
    active: true,
  };
}

/** Options of {@link seedUsers}. */
export interface SeedOptions {
  /** Users written at once (PostgreSQL: at most the pool size is useful). */
  concurrency: number;
  /** Also record a `synced` sync state per user, as a converged directory has. */
  isSynced: boolean;
  /** Number of the first user (default 0). */
  from?: number;
  prefix?: string;
}

/** Creates `count` users in `connection`; returns the rate. */
export async function seedUsers(store: Store, connection: string, count: number, options: SeedOptions): Promise<{ ms: number; perSecond: number }> {
  const started = performance.now();
  const inputOf = ingestedInput(options.prefix);
  const from = options.from ?? 0;
  let next = from;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < from + count) {
      const n = next++;
      const input = inputOf(n);
      const user = await store.createUser(connection, input, { requestId: `seed-${n}` });
      if (options.isSynced) {
        const now = Date.now();
        await store.putSyncState({
          connection, userId: user.id, status: 'synced', targetId: String(n + 2), targetEmail: input.userName, role: 'db_viewer',
          isManaged: true, accountStatus: 'active', lastError: null, lastSyncAt: now, updatedAt: now,
        });
      }
      if (++done % 20_000 === 0) progress(`seeded ${done} of ${count} users`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  const ms = performance.now() - started;
  return { ms, perSecond: (count / ms) * 1000 };
}

// No bench user has this number, and it occurs nowhere else in an ingested body.
const MARKER = 987_654_321;

/** The store input of user `n`, as `userInputFromBody` makes it (checked against the real thing for one user). */
function ingestedInput(prefix?: string): (n: number) => UserInput {
  const template = JSON.stringify(userInputFromBody(benchUserBody(MARKER, prefix)));
  const inputOf = (n: number): UserInput => JSON.parse(template.replaceAll(String(MARKER), String(n))) as UserInput;
  if (!isDeepStrictEqual(inputOf(42), userInputFromBody(benchUserBody(42, prefix)))) throw new Error('seeded input differs from SCIM ingestion');
  return inputOf;
}

/** A small deterministic PRNG (mulberry32), so runs pick the same users. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
