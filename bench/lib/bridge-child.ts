import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { createStore } from '../../src/directory/create-store.js';
import { SqlStore, type StoreWork } from '../../src/directory/sql/sql-store.js';
import type { Store } from '../../src/directory/store.js';
import { createLogger } from '../../src/logging/logger.js';
import { favourSmallHeap } from '../../src/commands/serve.js';
import { startBridge, type RunningBridge } from '../../src/main.js';
import { BENCH_TOKEN, benchLoadedConfig, type BridgeChildConfig } from './bridge-config.js';
import { serveParent } from './ipc.js';
import { profilerHandlers } from './profiler.js';

/**
 * Child process entry: the bridge under test, built by the real composition root
 * (`startBridge`), logging JSON to a file in the run's folder. It answers the parent's
 * questions about convergence over IPC; the load itself comes over HTTP.
 */

const config = JSON.parse(process.env.BENCH_BRIDGE ?? '{}') as BridgeChildConfig;
let bridge: RunningBridge | null = null;
let store: Store | null = null;
/** A second store on the same database for the bench's own questions, so {@link storeWork} counts the bridge's work only. */
let benchStore: Store | null = null;
/** Calls the bridge made to its store, by method (the bench's own questions are not counted). */
const storeCalls: Record<string, number> = {};
/** Time from each such call to its settling, summed by method (ms): what a caller waited, queueing for the loop, a connection or a CPU included. */
const storeMs: Record<string, number> = {};

/** The store as the bridge sees it: every method call counted in {@link storeCalls}. */
function counted(target: Store): Store {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        storeCalls[property] = (storeCalls[property] ?? 0) + 1;
        const started = performance.now();
        const result = (value as (...a: unknown[]) => unknown).apply(object, args);
        const settled = (): void => void (storeMs[property] = (storeMs[property] ?? 0) + performance.now() - started);
        if (result instanceof Promise) void result.then(settled, settled);
        return result;
      };
    },
  });
}

async function start(): Promise<{ url: string }> {
  // As `scim-bridge serve` does (its node flags come from bridgeNodeFlags in children.ts).
  if (process.env.BENCH_HEAP_GROWING !== '0') favourSmallHeap();
  const logger = createLogger({ level: config.logLevel, format: 'json', stream: createWriteStream(path.join(config.dir, 'bridge.log')), secrets: [BENCH_TOKEN] });
  // Opened here rather than from config.store so a PostgreSQL run gets its own schema.
  const options = { logger, ...(config.store.schema ? { schema: config.store.schema } : {}) };
  store = createStore(config.store.url, options);
  benchStore = createStore(config.store.url, options);
  bridge = await startBridge(benchLoadedConfig(config), { logger, store: counted(store), runWorkers: config.runWorkers });
  return { url: bridge.url };
}

/** Counts of one connection's users by sync status and role, read page by page. */
async function roleCounts(connection: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let after: string | undefined;
  for (;;) {
    const page = await (benchStore as Store).listSyncStates(connection, { limit: 1000, ...(after === undefined ? {} : { afterUserId: after }) });
    for (const state of page) {
      const key = `${state.status}:${state.role ?? '-'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    if (page.length < 1000) return counts;
    after = page.at(-1)?.userId;
  }
}

/** Statements, commits and round trips the bridge's store has run so far (zeros for a store that does not count them). */
function storeWork(): StoreWork {
  return store instanceof SqlStore ? { ...store.work } : { statements: 0, commits: 0, roundTrips: 0 };
}

/** Time the main thread spent runnable but waiting for a CPU (the second field of schedstat, ns), in ms. */
function runQueueWaitMs(): number | null {
  try {
    const waitedNs = Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]);
    return Number.isFinite(waitedNs) ? waitedNs / 1e6 : null;
  } catch {
    return null;
  }
}

serveParent(
  start,
  {
    progress: async (body) => {
      const { connection, summary: withSummary } = body as { connection: string; summary: boolean };
      const s = benchStore as Store;
      const none = { connection, users: 0, managed: 0, byStatus: { pending: 0, synced: 0, failed: 0, unsupported: 0, held: 0 }, topErrors: [] };
      const [summary, jobs] = await Promise.all([withSummary ? s.syncSummary(connection) : none, s.jobStats()]);
      return { summary, jobs: jobs.find((j) => j.connection === connection) ?? { pending: 0, held: 0, oldestAgeMs: null } };
    },
    roles: (body) => roleCounts(String(body)),
    heap: () => process.memoryUsage(),
    // A CPU profile of this process between the two questions (bench/lib/profile.ts reads it).
    ...profilerHandlers(),
    // CPU time of the bridge process so far (µs), how long its main thread waited for a CPU while
    // it could run (ms, Linux: /proc/self/schedstat; null elsewhere), and its store calls and their time so far.
    cpu: () => ({ ...process.cpuUsage(), waitedMs: runQueueWaitMs(), storeCalls: { ...storeCalls }, storeMs: { ...storeMs }, storeWork: storeWork() }),
  },
  async () => {
    await bridge?.close();
    await benchStore?.close();
    await store?.close();
  },
);
