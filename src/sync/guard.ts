import type { Store } from '../directory/store.js';
import type { SyncConnection } from './connection.js';

/** The store key of a connection's guard window (`scim-bridge approve` resets it). */
export function guardWindowKey(connection: string): string {
  return `removal-guard:${connection}`;
}

/**
 * The mass-deprovisioning guard: one malformed IdP request (or a burst within a window) must
 * never wipe a target. Removals beyond max(guardMinimum, guardShare × managed accounts) in the
 * window are held until `scim-bridge approve`; once tripped (some removal is held), every further
 * removal of that connection waits too, so the operator sees the whole batch before it runs.
 *
 * Its whole state is in the store, so it holds across replicas: the window is the store's
 * sliding window (counted atomically: two replicas never both take its last slot), and "tripped"
 * is "a job of the connection is held". Approving every held job starts a fresh window.
 */
export class RemovalGuard {
  private readonly managed = new Map<string, { count: number; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether one more removal may run now; records it when it may. Approved jobs (released by
   * `scim-bridge approve`) always pass and are not counted.
   */
  async admit(connection: SyncConnection, isApproved: boolean): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (isApproved) return { ok: true };
    const name = connection.name;
    const { guardWindowMs: windowMs, guardMinimum, guardShare } = connection.settings;
    const managed = await this.managedCount(connection);
    const limit = Math.max(guardMinimum, Math.floor(guardShare * managed));
    const isTripped = (await this.store.listJobs(name, { held: true, limit: 1 })).length > 0;
    if (!isTripped && (await this.store.countInWindow(guardWindowKey(name), { windowMs, limit })).counted) return { ok: true };
    const minutes = Math.round(windowMs / 60_000);
    return {
      ok: false,
      reason: `mass-deprovisioning guard: more than ${limit} of ${managed} managed accounts would lose access within ${minutes} min; see them with "scim-bridge held --connection ${name}", let them proceed with "scim-bridge approve --connection ${name} --by <your name>"`,
    };
  }

  // The base of the share, read at most every 30 s (a summary counts the connection's states).
  private async managedCount(connection: SyncConnection): Promise<number> {
    const cached = this.managed.get(connection.name);
    const now = this.now();
    if (cached && now - cached.at < 30_000) return cached.count;
    const summary = await this.store.syncSummary(connection.name);
    const count = summary.managed;
    this.managed.set(connection.name, { count, at: now });
    return count;
  }
}

/** After an approval: once nothing of the connection is held any more, its guard starts a fresh window. */
export async function resetGuardIfClear(store: Store, connection: string): Promise<boolean> {
  if ((await store.listJobs(connection, { held: true, limit: 1 })).length > 0) return false;
  await store.resetWindow(guardWindowKey(connection));
  return true;
}
