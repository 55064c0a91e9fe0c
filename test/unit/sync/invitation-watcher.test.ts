import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TargetAccount } from '../../../src/connectors/types.js';
import type { Store, SyncState } from '../../../src/directory/store.js';
import { createSilentLogger } from '../../../src/logging/logger.js';
import type { SyncConnection } from '../../../src/sync/connection.js';
import { InvitationWatcher } from '../../../src/sync/invitation-watcher.js';

/** One listing per check however many invitations are pending; urgent checks back off to the interval. */

function harness(emails: string[]) {
  const accounts = new Map<string, TargetAccount>(emails.map((email) => [email, { id: null, email, name: null, role: 'DEVELOPER', status: 'invited' }]));
  const states = new Map<string, SyncState>(
    emails.map((email, i) => [
      `u${i}`,
      { connection: 'c', userId: `u${i}`, status: 'synced', targetId: null, targetEmail: email, role: 'DEVELOPER', isManaged: true, accountStatus: 'invited', lastError: null, lastSyncAt: 0, updatedAt: 0 },
    ]),
  );
  const listings: number[] = [];
  const queued: string[][] = [];
  const connection = {
    name: 'c',
    logger: createSilentLogger(),
    connector: {
      async *listAccounts() {
        listings.push(Date.now());
        yield* accounts.values();
      },
    },
  } as unknown as SyncConnection;
  const store = {
    getSyncStates: async (_c: string, ids: readonly string[]) => ids.flatMap((id) => (states.has(id) ? [states.get(id) as SyncState] : [])),
    enqueueJobs: async (_c: string, _reason: string, ids: readonly string[]) => (queued.push([...ids]), ids.length),
  } as unknown as Store;
  let woken = 0;
  const watcher = new InvitationWatcher({ store, connection, intervalMs: 1_000, firstCheckMs: 100, onQueued: () => woken++ });
  return { watcher, accounts, states, listings, queued, woken: () => woken };
}

describe('InvitationWatcher', () => {
  afterEach(() => vi.useRealTimers());

  it('checks five pending invitations with one listing and queues only the accepted ones', async () => {
    const emails = ['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io', 'e@x.io'];
    const h = harness(emails);
    emails.forEach((_e, i) => h.watcher.track(`u${i}`, false));
    expect(await h.watcher.check()).toBe(0);
    expect(h.listings).toHaveLength(1);
    h.accounts.set('c@x.io', { id: '3', email: 'c@x.io', name: 'C', role: 'DEVELOPER', status: 'active' });
    h.accounts.delete('e@x.io');
    expect(await h.watcher.check()).toBe(2);
    expect(h.listings).toHaveLength(2);
    expect(h.queued).toEqual([['u2', 'u4']]);
    expect(h.woken()).toBe(1);
    expect(h.watcher.size).toBe(3);
    h.watcher.stop();
  });

  it('drops users whose state is no longer an invitation, without a listing when none is left', async () => {
    const h = harness(['a@x.io']);
    h.watcher.track('u0', false);
    h.states.set('u0', { ...(h.states.get('u0') as SyncState), accountStatus: 'disabled' });
    expect(await h.watcher.check()).toBe(0);
    expect(h.watcher.size).toBe(0);
    expect(await h.watcher.check()).toBe(0);
    expect(h.listings).toHaveLength(1);
    h.watcher.stop();
  });

  it('checks an urgent wait after firstCheckMs, then doubling up to the interval; a plain one at the interval', async () => {
    vi.useFakeTimers({ now: 0 });
    const h = harness(['a@x.io', 'b@x.io']);
    h.watcher.track('u0', false);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.listings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.listings).toEqual([1_000]);
    h.watcher.track('u1', true);
    await vi.advanceTimersByTimeAsync(5_000);
    // 1000 + 100, then +200, +400, +800, then the interval (1000).
    expect(h.listings).toEqual([1_000, 1_100, 1_300, 1_700, 2_500, 3_500, 4_500, 5_500]);
    h.watcher.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.listings).toHaveLength(8);
  });
});
