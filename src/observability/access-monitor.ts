import type { Connector } from '../connectors/types.js';

/**
 * Target reachability, checked with each connector's cheap authenticated read (`checkAccess`)
 * and cached briefly: /readyz polled every second by a load balancer, a status page reloaded
 * by hand and a Prometheus scrape all share one answer per connection per `ttlMs`, and
 * concurrent askers share one call in flight.
 */

/** What the last access check of one connection found. */
export interface AccessReport {
  connection: string;
  ok: boolean;
  /** Who the credentials belong to, when the target says. */
  identity?: string;
  /** What is wrong with the credentials or their rights ("... only an Owner's key can change users"). */
  problems: string[];
  /** When the check finished (epoch ms). */
  checkedAt: number;
  /** How long the check took. */
  ms: number;
}

/** The connections an {@link AccessMonitor} checks. */
export interface MonitoredConnection {
  name: string;
  connector: Pick<Connector, 'checkAccess'>;
}

/** Options of {@link createAccessMonitor}. */
export interface AccessMonitorOptions {
  /** How long an answer is reused. Default 10 s. */
  ttlMs?: number;
  /** A check without an answer after this long is reported as a problem. Default 5 s. */
  timeoutMs?: number;
  now?: () => number;
  /** Called when a connection's access goes from failing to passing or back (not on its first check). */
  onChange?: (report: AccessReport, previous: AccessReport) => void;
  /** Called when a connection's access starts failing: its first check fails, or a passing one fails (notifications). */
  onFailing?: (report: AccessReport) => void;
}

/** Cached access checks of every connection. */
export interface AccessMonitor {
  /** The connection's access, from the cache when fresh enough. */
  check(connection: string): Promise<AccessReport>;
  /** Every connection's access, in configuration order. */
  checkAll(): Promise<AccessReport[]>;
  /** The last answer without calling the target (undefined before the first check). */
  latest(connection: string): AccessReport | undefined;
  /**
   * Something suggests the credentials stopped working (a write answered 401): checks the
   * connection now, ignoring the cache, so a failure is known and then watched.
   */
  suspect(connection: string): Promise<AccessReport>;
  /**
   * Re-checks every `intervalMs` each connection whose last check failed, so a recovery is seen
   * (and `onChange` called) even when nothing polls /readyz. Returns the function that stops it.
   */
  watch(intervalMs: number): () => void;
}

/** Builds the monitor; it calls no target until asked. */
export function createAccessMonitor(connections: readonly MonitoredConnection[], options: AccessMonitorOptions = {}): AccessMonitor {
  const ttlMs = options.ttlMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  const byName = new Map(connections.map((c) => [c.name, c]));
  const cache = new Map<string, AccessReport>();
  const inFlight = new Map<string, Promise<AccessReport>>();

  const check = (name: string, isFresh = false): Promise<AccessReport> => {
    const connection = byName.get(name);
    if (!connection) return Promise.resolve({ connection: name, ok: false, problems: ['no such connection'], checkedAt: now(), ms: 0 });
    const cached = cache.get(name);
    if (!isFresh && cached && now() - cached.checkedAt < ttlMs) return Promise.resolve(cached);
    const running = inFlight.get(name);
    if (running) return running;
    const started = performance.now();
    const call = runCheck(connection, timeoutMs).then((found) => {
      const report: AccessReport = { connection: name, ...found, checkedAt: now(), ms: Math.round(performance.now() - started) };
      const previous = cache.get(name);
      cache.set(name, report);
      inFlight.delete(name);
      if (previous && previous.ok !== report.ok) notify(report, previous);
      if (!report.ok && (previous === undefined || previous.ok)) notifyFailing(report);
      return report;
    });
    inFlight.set(name, call);
    return call;
  };

  // A listener's failure must not turn into a failed check for /readyz.
  const notify = (report: AccessReport, previous: AccessReport): void => {
    try {
      options.onChange?.(report, previous);
    } catch {
      // The listener logs its own trouble; the report stands.
    }
  };

  const notifyFailing = (report: AccessReport): void => {
    try {
      options.onFailing?.(report);
    } catch {
      // As above: the report stands.
    }
  };

  const watch = (intervalMs: number): (() => void) => {
    const timer = setInterval(() => {
      for (const { name } of connections) if (cache.get(name)?.ok === false) void check(name);
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  };

  return {
    check: (name) => check(name),
    checkAll: () => Promise.all(connections.map((c) => check(c.name))),
    latest: (name) => cache.get(name),
    suspect: (name) => check(name, true),
    watch,
  };
}

/** One `checkAccess` with a deadline (also when the connector ignores the abort signal); never throws. */
async function runCheck(connection: MonitoredConnection, timeoutMs: number): Promise<Pick<AccessReport, 'ok' | 'identity' | 'problems'>> {
  const controller = new AbortController();
  const late = `the target did not answer within ${timeoutMs} ms`;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(late));
    }, timeoutMs);
  });
  try {
    const access = await Promise.race([connection.connector.checkAccess({ signal: controller.signal }), deadline]);
    return { ok: access.ok, problems: access.problems, ...(access.identity !== undefined ? { identity: access.identity } : {}) };
  } catch (err) {
    return { ok: false, problems: [controller.signal.aborted ? late : err instanceof Error ? err.message : String(err)] };
  } finally {
    clearTimeout(timer);
  }
}
