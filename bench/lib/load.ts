import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

/**
 * A closed-loop load generator on undici: `concurrency` workers, each on its own keep-alive
 * connection, send one request at a time until a deadline or a request budget is reached (never
 * open-ended). Latency is measured per request from send to the last body byte.
 */

/** One request to send. */
export interface LoadRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: string;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  origin: string;
  concurrency: number;
  /** Stop after this long... */
  durationMs?: number;
  /** ...or after this many requests (whichever comes first). */
  requests?: number;
  headers: Record<string, string>;
  /** The i-th request (i counts from 0 across all workers). */
  next(i: number): LoadRequest;
  expectStatus: number;
  /** Validates the body of every `checkEvery`-th response (parsing every body would load the client). */
  check?(body: string): boolean;
  checkEvery?: number;
  /** Called with each response's latency (ms). */
  onResponse?(i: number, latencyMs: number): void;
  /** Watches another process's CPU time during the run (the server's pid). */
  serverPid?: number;
}

/** Figures of one run. */
export interface LoadResult {
  requests: number;
  errors: number;
  firstError: string | null;
  elapsedMs: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** CPU used by this process and by the server during the run, in % of one core. */
  clientCpu: number;
  serverCpu: number | null;
}

/** Runs a bounded closed loop and returns throughput and latency percentiles. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.durationMs === undefined && options.requests === undefined) throw new Error('runLoad needs a duration or a request budget');
  const pool = new Pool(options.origin, { connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const budget = options.requests ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  let errors = 0;
  let firstError: string | null = null;
  const fail = (message: string): void => {
    errors++;
    firstError ??= message;
  };
  const started = performance.now();
  const deadline = started + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const cpu = { client: process.cpuUsage(), server: options.serverPid === undefined ? null : cpuMsOf(options.serverPid) };
  const worker = async (): Promise<void> => {
    while (issued < budget && performance.now() < deadline) {
      const i = issued++;
      const request = options.next(i);
      const sent = performance.now();
      try {
        const response = await pool.request({ ...request, headers: options.headers });
        const text = await response.body.text();
        const latency = performance.now() - sent;
        latencies.push(latency);
        options.onResponse?.(i, latency);
        if (response.statusCode !== options.expectStatus) fail(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
        else if (options.check && i % (options.checkEvery ?? 1) === 0 && !options.check(text)) fail(`unexpected body: ${text.slice(0, 200)}`);
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  const clientCpu = process.cpuUsage(cpu.client);
  const serverCpu = cpu.server === null || options.serverPid === undefined ? null : ((cpuMsOf(options.serverPid) - cpu.server) / elapsedMs) * 100;
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    firstError,
    elapsedMs,
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
    clientCpu: ((clientCpu.user + clientCpu.system) / 1000 / elapsedMs) * 100,
    serverCpu,
  };
}

/** The p-th percentile (nearest rank) of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS) * 1000;
}

// USER_HZ is 100 on every Linux architecture Node supports (sysconf(_SC_CLK_TCK)).
const CLOCK_TICKS = 100;

/** Resident memory of a process, current and peak, in MiB, from /proc (Linux). */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}
