import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ClaimedJob, Store } from '../directory/store.js';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { SyncConnection } from './connection.js';
import { convergeJob, type ConvergeOutcome } from './converge.js';
import { RemovalGuard } from './guard.js';
import { InvitationWatcher } from './invitation-watcher.js';
import { backoffDelay, failedRetryDelay } from './limits.js';
import { giveBackUserLease, pendingWriteOf, takeUserLease, type PendingWrite } from './user-lease.js';

/**
 * The sync worker: per connection, claims due jobs from the outbox (several replicas may run
 * it: claims are leased, PostgreSQL skips locked rows), converges up to `concurrency` users at
 * once, and completes, retries or holds each job. A start/stop resource, built at the root.
 */

/** Options of {@link SyncEngine}. */
export interface SyncEngineOptions {
  store: Store;
  connections: readonly SyncConnection[];
  logger: Logger;
  /** How often an idle worker looks for jobs written by other replicas. Default 1 s. */
  pollMs?: number;
  /** How long a claimed job is ours (database clock, renewed every third of it) before another worker may take it (crash recovery). Default 60 s. */
  leaseMs?: number;
  /** How often pending invitations are checked (one target listing per connection). Default 60 s. */
  invitationRecheckMs?: number;
  /** First check after a change starts waiting on an invitation (then doubling to invitationRecheckMs). Default 5 s. */
  invitationFirstCheckMs?: number;
  /** First step of the retry backoff of a failed job (doubles per attempt, full jitter, capped at 15 min). Default 1 s. */
  retryBaseMs?: number;
  /** How long strict mode waits for a user's lease another worker holds before answering 503. Default 5 s. */
  strictLeaseWaitMs?: number;
  /** How soon a job whose target account another job is changing runs again (plus jitter). Default 500 ms. */
  busyRetryMs?: number;
  /** Reports each finished job (metrics). */
  onOutcome?: (connection: string, outcome: ConvergeOutcome, ms: number) => void;
}

interface Loop {
  connection: SyncConnection;
  /** The connection's pending invitations, checked with one listing at a time. */
  invitations: InvitationWatcher;
  inflight: number;
  /** Jobs claimed ahead, not started yet (at most `concurrency`): a slot that frees up starts one without waiting for a claim. */
  ready: ClaimedJob[];
  /** The jobs this worker holds right now, running or ready (their leases are renewed). */
  leased: Set<ClaimedJob>;
  /** Set by a wake that came while the loop was busy, so the next wait returns at once. */
  isWoken: boolean;
  /** Resolves the loop's current wait, if it is waiting. */
  release: (() => void) | null;
}

/** The shortest pause of a drain before it claims again a job it put back (no busy loop while a claim races another). */
const DRAIN_RECLAIM_MS = 10;

/** The convergence worker. */
export class SyncEngine {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly loops = new Map<string, Loop>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  /** The mass-deprovisioning guard, shared by the worker and strict mode. */
  readonly guard: RemovalGuard;
  private readonly abort = new AbortController();
  private isStarted = false;
  private renewal: NodeJS.Timeout | undefined;
  /** Runs that need leases renewed without the worker loops (drain, strict writes). */
  private renewalHolds = 0;

  constructor(private readonly options: SyncEngineOptions) {
    // Every job in flight listens on the stop signal: more than 10 is normal, not a leak.
    setMaxListeners(0, this.abort.signal);
    this.guard = new RemovalGuard(options.store);
    for (const connection of options.connections) this.loops.set(connection.name, this.newLoop(connection));
  }

  /** The connection runtime of a name (for strict mode and the CLI). */
  connection(name: string): SyncConnection | undefined {
    return this.loops.get(name)?.connection;
  }

  /** Starts one loop per connection. */
  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    for (const loop of this.loops.values()) this.track(this.run(loop));
    this.renewal ??= this.startRenewal();
  }

  /** Keeps leases renewed until the returned function is called (the worker's loops renew anyway). */
  private holdRenewal(): () => void {
    this.renewalHolds++;
    this.renewal ??= this.startRenewal();
    return () => {
      this.renewalHolds--;
      if (this.renewalHolds === 0 && !this.isStarted && this.renewal) {
        clearInterval(this.renewal);
        this.renewal = undefined;
      }
    };
  }

  /**
   * Runs `fn` under the lease of one user's job, the lease the worker claims too (strict mode):
   * the two never touch that user's account at once. Waits up to `strictLeaseWaitMs` for a lease
   * another worker holds, then throws SYNC_BUSY (503 with Retry-After: the IdP tries again).
   */
  async withUserLease<T>(connection: string, userId: string, fn: (lease: ClaimedJob) => Promise<T>): Promise<T> {
    const loop = this.loops.get(connection);
    if (!loop) throw new BridgeError('INTERNAL', `no sync connection ${connection}`);
    const lease = await takeUserLease(this.options.store, connection, userId, {
      workerId: this.workerId,
      leaseMs: this.leaseMs(),
      waitMs: this.options.strictLeaseWaitMs ?? 5_000,
    });
    const release = this.holdRenewal();
    loop.leased.add(lease);
    let pending: PendingWrite | undefined;
    try {
      return await fn(lease);
    } catch (err) {
      // A write the target accepted but did not finish stays with the job (user-lease.ts).
      pending = pendingWriteOf(err, lease.attempts, this.options.retryBaseMs);
      throw pending?.error ?? err;
    } finally {
      loop.leased.delete(lease);
      release();
      await giveBackUserLease(this.options.store, lease, pending);
    }
  }

  /**
   * Keeps the leases of jobs in flight alive, so a lease can be short: a worker killed mid-job
   * (kill -9, a lost node) leaves leases that run out within {@link leaseMs}, and another worker
   * (or this one restarted) picks the jobs up; a slow live job is never taken over.
   */
  private async renewLeases(): Promise<void> {
    for (const loop of this.loops.values()) {
      if (loop.leased.size === 0) continue;
      try {
        const tokens = [...new Set([...loop.leased].map((job) => job.leaseToken))];
        await this.options.store.renewLeases(loop.connection.name, tokens, this.leaseMs());
      } catch (err) {
        // The store is away: the next renewal tries again; a lost lease only means a re-run, which is safe.
        loop.connection.logger.error('cannot renew job leases', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** Renews leases every third of a lease, until cleared. */
  private startRenewal(): NodeJS.Timeout {
    const timer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.leaseMs() / 3)));
    timer.unref();
    return timer;
  }

  private leaseMs(): number {
    return this.options.leaseMs ?? 60_000;
  }

  /** Stops claiming, waits for in-flight jobs (their leases make them safe to abandon after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.isStarted = false;
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    for (const loop of this.loops.values()) {
      loop.invitations.stop();
      wakeLoop(loop);
    }
    const done = Promise.all([...this.running]);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([done, timeout]);
    this.abort.abort();
    await Promise.race([done, new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref())]);
  }

  /** Wakes a connection's loop (a SCIM write just queued work). */
  wake(connection: string): void {
    const loop = this.loops.get(connection);
    if (loop) wakeLoop(loop);
  }

  /**
   * Resolves when the user's job has been processed once, or after `timeoutMs` (at once for 0);
   * reads nothing: a SCIM write's response reads the state with the user.
   */
  settle(connection: string, userId: string, timeoutMs: number): Promise<void> {
    if (timeoutMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const key = `${connection}\u0000${userId}`;
      const set = this.waiters.get(key) ?? new Set();
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      set.add(done);
      this.waiters.set(key, set);
    });
  }

  /** Processes every due job of the given connections (or all) until none is left; returns how many ran. */
  async drain(connections?: readonly string[], onProgress?: (done: number) => void): Promise<number> {
    // Without start() (the CLI's sync), leases still need renewing while jobs run.
    const release = this.holdRenewal();
    try {
      return await this.drainLoops(connections, onProgress);
    } finally {
      release();
    }
  }

  private async drainLoops(connections: readonly string[] | undefined, onProgress: ((done: number) => void) | undefined): Promise<number> {
    let total = 0;
    for (const loop of this.loops.values()) {
      if (connections && !connections.includes(loop.connection.name)) continue;
      total = await this.drainLoop(loop, total, onProgress);
    }
    return total;
  }

  /** Runs a connection's jobs until none it can run is left; counts on from `total`. */
  private async drainLoop(loop: Loop, total: number, onProgress: ((done: number) => void) | undefined): Promise<number> {
    // Jobs put back because another job had their account: they run in this drain too.
    const putBack = new Set<string>();
    for (;;) {
      const jobs = await this.claim(loop, loop.connection.concurrency);
      if (jobs.length === 0) {
        if (putBack.size === 0 || this.abort.signal.aborted) return total;
        // Due times are on the database's clock, not this host's: ask it when one can be claimed.
        // None left that can (held, parked, or run by another worker meanwhile) ends the drain.
        const waitMs = await this.options.store.claimableIn(loop.connection.name, [...putBack]);
        if (waitMs === null) return total;
        await new Promise((resolve) => setTimeout(resolve, Math.max(DRAIN_RECLAIM_MS, waitMs)));
        continue;
      }
      for (const job of jobs) {
        loop.leased.add(job);
        putBack.delete(job.userId);
      }
      const results = await Promise.all(jobs.map((job) => this.process(loop, job).finally(() => loop.leased.delete(job))));
      jobs.forEach((job, i) => {
        if (results[i] === true) putBack.add(job.userId);
        else total++;
      });
      onProgress?.(total);
    }
  }

  private newLoop(connection: SyncConnection): Loop {
    const invitations = new InvitationWatcher({
      store: this.options.store,
      connection,
      intervalMs: this.options.invitationRecheckMs ?? 60_000,
      firstCheckMs: this.options.invitationFirstCheckMs ?? 5_000,
      onQueued: () => this.wake(connection.name),
    });
    return { connection, invitations, inflight: 0, ready: [], leased: new Set(), isWoken: false, release: null };
  }

  /** Waits for a wake or `ms`; returns at once when a wake came while the loop was busy. */
  private async idle(loop: Loop, ms: number): Promise<void> {
    if (!loop.isWoken) {
      await new Promise<void>((resolve) => {
        loop.release = resolve;
        this.later(resolve, ms);
      });
    }
    loop.release = null;
    loop.isWoken = false;
  }

  /**
   * Claims in batches and runs up to `concurrency` jobs. Up to `concurrency` more are claimed
   * ahead (leased, renewed, given back on stop), and a claim waits until half of that room is
   * free: one claim per half-batch of jobs instead of one per job, and a freed slot never waits
   * for the store.
   */
  private async run(loop: Loop): Promise<void> {
    const pollMs = this.options.pollMs ?? 1_000;
    const { concurrency } = loop.connection;
    while (this.isStarted) {
      this.startReady(loop);
      const room = 2 * concurrency - loop.inflight - loop.ready.length;
      const isSlotIdle = loop.ready.length === 0 && loop.inflight < concurrency;
      let claimed = 0;
      if (room > 0 && (isSlotIdle || room >= Math.ceil(concurrency / 2))) {
        try {
          const jobs = await this.claim(loop, room);
          claimed = jobs.length;
          for (const job of jobs) {
            loop.leased.add(job);
            loop.ready.push(job);
          }
          if (this.isStarted) this.startReady(loop);
        } catch (err) {
          loop.connection.logger.error('cannot claim jobs', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      if (claimed === 0 || loop.inflight >= concurrency) await this.idle(loop, pollMs);
    }
    await this.giveBackReady(loop);
  }

  /** Starts ready jobs in the free slots. */
  private startReady(loop: Loop): void {
    while (loop.inflight < loop.connection.concurrency) {
      const job = loop.ready.shift();
      if (!job) return;
      loop.inflight++;
      this.track(this.process(loop, job).then(() => undefined).finally(() => {
        loop.inflight--;
        loop.leased.delete(job);
        wakeLoop(loop);
      }));
    }
  }

  /** Gives back the leases of jobs claimed ahead that never started (stop): another worker may take them at once. */
  private async giveBackReady(loop: Loop): Promise<void> {
    const jobs = loop.ready.splice(0);
    await Promise.all(jobs.map((job) => this.options.store.releaseJob(job).catch(() => undefined).finally(() => loop.leased.delete(job))));
  }

  private claim(loop: Loop, limit: number): Promise<ClaimedJob[]> {
    return this.options.store.claimJobs(loop.connection.name, { limit, workerId: this.workerId, leaseMs: this.leaseMs() });
  }

  /** Runs one job; returns true when it was put back, not run, because another job has the same account. */
  private async process(loop: Loop, job: ClaimedJob): Promise<boolean> {
    const { store } = this.options;
    const { connection } = loop;
    const started = performance.now();
    let isBusy = false;
    try {
      const outcome = await convergeJob({ store, connection, guard: this.guard, signal: this.abort.signal }, job);
      this.options.onOutcome?.(connection.name, outcome, performance.now() - started);
      if (outcome.result === 'retry') {
        const delayMs = Math.max(outcome.error.retryAfterMs ?? 0, backoffDelay(job.attempts, this.options.retryBaseMs));
        await store.retryJob(job, { delayMs, lastError: `${outcome.error.code}: ${outcome.error.message}`, pendingHandle: outcome.pendingHandle ?? null });
      } else if (outcome.result === 'failed') {
        // Nothing waits for a person forever: try again on the long backoff;
        // a new change, a recovered target or a restart makes the job due sooner.
        const delayMs = failedRetryDelay(connection.settings.failedRetryMs);
        await store.retryJob(job, { delayMs, lastError: `${outcome.error.code}: ${outcome.error.message}`, parked: true });
      } else if (outcome.result === 'busy') {
        // Not a failure: the other job is at the same account; this one runs once it is done.
        const pause = this.options.busyRetryMs ?? 500;
        const delayMs = pause + Math.floor(Math.random() * pause);
        await store.releaseJob(job, delayMs);
        isBusy = true;
      } else if (outcome.result === 'held') {
        // Held rows are never claimed; give the lease back so `approve` releases them at once.
        await store.retryJob(job, { delayMs: 0, lastError: outcome.reason });
      } else {
        // Usually completed already, with the run's record.
        if (outcome.isJobSettled !== true) await store.completeJob(job);
        this.watchInvitation(loop, job.userId, outcome);
      }
    } catch (err) {
      // The store failed while recording: the lease expires and the job runs again.
      connection.logger.error('job processing failed', { userId: job.userId, error: err instanceof Error ? err.message : String(err) });
    } finally {
      // A job put back has not run yet: whoever waits for it keeps waiting.
      if (!isBusy) this.notify(connection.name, job.userId);
    }
    return isBusy;
  }

  /** A change waiting on an invitation is urgent; an invitation with nothing waiting is checked at the interval. */
  private watchInvitation(loop: Loop, userId: string, outcome: ConvergeOutcome): void {
    // The CLI's `sync` reconciles instead, once it has drained the queue.
    if (!this.isStarted) return;
    if (outcome.result === 'wait') loop.invitations.track(userId, true);
    else if (outcome.result === 'done' && outcome.isInvitationPending) loop.invitations.track(userId, false);
    else loop.invitations.forget(userId);
  }

  private notify(connection: string, userId: string): void {
    const key = `${connection}\u0000${userId}`;
    for (const done of [...(this.waiters.get(key) ?? [])]) done();
    this.waiters.delete(key);
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private track(promise: Promise<void>): void {
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise));
  }
}

function wakeLoop(loop: Loop): void {
  loop.isWoken = true;
  loop.release?.();
}
