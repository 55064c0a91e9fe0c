import type { TargetAccount } from '../connectors/types.js';
import type { Store } from '../directory/store.js';
import type { SyncConnection } from './connection.js';

/**
 * Watches the pending invitations of one connection (Paradime, Redis Cloud): one target listing
 * per check links every invitation accepted since, however many are pending, by queueing those
 * users' jobs. Checks run every `intervalMs`; when a change waits on an invitation (a removal or
 * a role change, which need the signed-up account), they start after `firstCheckMs` and back off
 * by doubling to the interval, so the change lands seconds after the person signs up.
 * In memory: after a restart the reconciler links what was pending (docs/architecture.md, "The reconciler").
 */

/** Options of {@link InvitationWatcher}. */
export interface InvitationWatcherOptions {
  store: Store;
  connection: SyncConnection;
  /** Time between checks once nothing urgent waits. */
  intervalMs: number;
  /** First check after a change starts waiting on an invitation. */
  firstCheckMs: number;
  /** Called after users were queued (wakes the worker). */
  onQueued: () => void;
}

/** One connection's watcher of pending invitations; a start/stop resource owned by the engine. */
export class InvitationWatcher {
  /** Watched users: true when a change waits on their invitation. */
  private readonly pending = new Map<string, boolean>();
  private delayMs: number;
  private timer: NodeJS.Timeout | null = null;
  private dueAt = Number.POSITIVE_INFINITY;
  private isChecking = false;
  private isStopped = false;

  constructor(private readonly options: InvitationWatcherOptions) {
    this.delayMs = options.intervalMs;
  }

  /** Users being watched (for tests and the status page). */
  get size(): number {
    return this.pending.size;
  }

  /** Watches a user whose account is an invitation; `isUrgent` when a change waits on it. */
  track(userId: string, isUrgent: boolean): void {
    if (this.isStopped) return;
    this.pending.set(userId, isUrgent);
    if (isUrgent) this.delayMs = this.options.firstCheckMs;
    this.schedule(isUrgent ? this.options.firstCheckMs : this.options.intervalMs);
  }

  /** Stops watching a user (its job converged to something else). */
  forget(userId: string): void {
    this.pending.delete(userId);
  }

  /** One check: lists the target once, queues the users whose invitation is no longer pending; returns how many. */
  async check(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const { store, connection } = this.options;
    const accounts = new Map<string, TargetAccount>();
    for await (const account of connection.connector.listAccounts()) accounts.set(account.email.toLowerCase(), account);
    const watched = [...this.pending.keys()];
    const states = new Map((await store.getSyncStates(connection.name, watched)).map((s) => [s.userId, s]));
    const resolved: string[] = [];
    for (const userId of watched) {
      const state = states.get(userId);
      // Converged to something else meanwhile (a newer job, the reconciler): nothing to watch.
      if (state?.accountStatus !== 'invited' || !state.targetEmail) {
        this.pending.delete(userId);
        continue;
      }
      if (accounts.get(state.targetEmail.toLowerCase())?.status === 'invited') continue;
      // Accepted (or withdrawn in the target): the user's job links or re-plans the account.
      resolved.push(userId);
      this.pending.delete(userId);
    }
    if (resolved.length === 0) return 0;
    const queued = await store.enqueueJobs(connection.name, 'reconcile', resolved);
    connection.logger.info('invitations accepted', { users: resolved.length });
    this.options.onQueued();
    return queued;
  }

  /** Stops the timer; tracked users are dropped (the reconciler links them later). */
  stop(): void {
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  /** Runs a check in `ms` unless one is due sooner (or running: it reschedules when done). */
  private schedule(ms: number): void {
    if (this.isStopped || this.isChecking) return;
    const at = Date.now() + ms;
    if (this.timer && at >= this.dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    this.dueAt = Number.POSITIVE_INFINITY;
    this.isChecking = true;
    try {
      await this.check();
    } catch (err) {
      // The target or the store is away: the next check tries again.
      this.options.connection.logger.warn('cannot check pending invitations', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.isChecking = false;
    }
    if (this.pending.size === 0) return;
    const isUrgent = [...this.pending.values()].some(Boolean);
    this.delayMs = isUrgent ? Math.min(this.delayMs * 2, this.options.intervalMs) : this.options.intervalMs;
    this.schedule(this.delayMs);
  }
}
