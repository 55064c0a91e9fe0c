/**
 * Coordination between replicas, kept in the store and read on the database's clock only, so a
 * limit holds across every process that shares the database (with SQLite, the one process).
 * Keys are free-form names; callers prefix them with what they limit (`target-rate:<connection>`).
 * Built once for every limit that must be shared: the target rate limit, Redis Cloud's one write
 * at a time, the mass-deprovisioning guard's window, failed-authentication limits.
 */
export interface Coordination {
  /**
   * Takes one token from the named bucket (GCRA: refilled at `ratePerSecond`, holding at most
   * `burst`). Returns 0 when a token was free now. Otherwise, with `reserve`, the token is taken
   * anyway and the result is how long (ms) the caller must wait before using it: callers across
   * replicas queue in the order they asked. Without `reserve`, nothing is taken and the result is
   * how long until a token is free (a Retry-After for a request refused now). One statement.
   */
  takeToken(key: string, bucket: TokenBucket): Promise<number>;
  /**
   * Takes the named lease for `holder` for `ttlMs` (database clock), or extends it when `holder`
   * has it already; false while another holder's lease runs. A holder that dies simply stops
   * renewing: its lease runs out. One statement.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the named lease up; nothing happens when `holder` no longer has it. */
  releaseLease(name: string, holder: string): Promise<void>;
  /**
   * Counts one event in the named sliding window, unless `limit` events already fell within the
   * last `windowMs`: atomic across replicas (the window's row is locked meanwhile), so no two
   * callers both get the last slot.
   */
  countInWindow(key: string, window: SlidingWindow): Promise<WindowCount>;
  /** Forgets every event of the named window (a fresh start, e.g. after an approval). */
  resetWindow(key: string): Promise<void>;
  /** Deletes coordination state nobody can need any more (expired leases, full buckets, old events); returns how many rows. */
  pruneCoordination(): Promise<number>;
  /** Runs `fn` only if no other process holds the named lock (PostgreSQL advisory lock; SQLite: in-process). Returns undefined when skipped. */
  withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;
}

/** A token bucket of {@link Coordination.takeToken}. */
export interface TokenBucket {
  /** Tokens added per second (> 0). */
  ratePerSecond: number;
  /** Most tokens the bucket holds, hence the largest burst (>= 1). */
  burst: number;
  /** Take the token even when none is free now, and wait for it (default false: refuse). */
  reserve?: boolean;
}

/** A sliding window of {@link Coordination.countInWindow}. */
export interface SlidingWindow {
  windowMs: number;
  /** Most events the window admits. */
  limit: number;
}

/** What {@link Coordination.countInWindow} did. */
export interface WindowCount {
  /** Whether this event was counted (false: the window is full). */
  counted: boolean;
  /** Events within the window now, this one included when counted. */
  count: number;
  /** When not counted: ms until the window has room again; 0 when counted. */
  retryAfterMs: number;
}
