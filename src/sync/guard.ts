import type { Store } from '../directory/store.js';
import type { SyncConnection } from './connection.js';

/**
 * The mass-deprovisioning guard: one malformed IdP request (or a burst within a window) must
 * never wipe a target. Removals beyond max(guardMinimum, guardShare × managed accounts) in the
 * window are held until `scim-bridge approve`; once tripped, every further removal of that
 * connection waits too, so the operator sees the whole batch before it runs.
 */
export class RemovalGuard {
  private readonly windows = new Map<string, number[]>();
  private readonly tripped = new Map<string, boolean>();
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
    const held = (await this.store.listJobs(name, { held: true, limit: 1 })).length > 0;
    if (!held && this.tripped.get(name)) {
      // Everything held was approved or superseded: start a fresh window.
      this.tripped.set(name, false);
      this.windows.set(name, []);
    }
    const now = this.now();
    const window = (this.windows.get(name) ?? []).filter((t) => now - t < connection.settings.guardWindowMs);
    const managed = await this.managedCount(connection);
    const limit = Math.max(connection.settings.guardMinimum, Math.floor(connection.settings.guardShare * managed));
    if (held || this.tripped.get(name) || window.length + 1 > limit) {
      this.tripped.set(name, true);
      this.windows.set(name, window);
      const minutes = Math.round(connection.settings.guardWindowMs / 60_000);
      return {
        ok: false,
        reason: `mass-deprovisioning guard: more than ${limit} of ${managed} managed accounts would lose access within ${minutes} min; run "scim-bridge approve --connection ${name}" to let them proceed`,
      };
    }
    window.push(now);
    this.windows.set(name, window);
    return { ok: true };
  }

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
