import type { JobStats, SyncSummary } from '../../src/directory/store.js';
import type { ChildHandle } from './ipc.js';

/** Polling the bench bridge (over IPC) until its convergence reaches a state, with a deadline. */

/** What the bridge child reports about one connection. */
export interface Progress {
  summary: SyncSummary;
  jobs: Pick<JobStats, 'pending' | 'held' | 'oldestAgeMs'>;
}

/** Asks the bridge child for a connection's queue and (unless `summary` is false: then an empty one) its sync summary. */
export function progressOf(bridge: ChildHandle, connection: string, options: { summary?: boolean } = {}): Promise<Progress> {
  return bridge.ask<Progress>('progress', { connection, summary: options.summary !== false });
}

/**
 * Polls `read` every `intervalMs` until `isDone` holds; returns the time it took (ms) and the last
 * value, or throws after `timeoutMs` with the last value in the message.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  isDone: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number; what: string; since?: number },
): Promise<{ ms: number; value: T }> {
  const since = options.since ?? performance.now();
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = await read();
    if (isDone(value)) return { ms: performance.now() - since, value };
    if (performance.now() > deadline) throw new Error(`${options.what}: not reached within ${options.timeoutMs} ms; last: ${JSON.stringify(value).slice(0, 400)}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** Waits until a connection's job queue is empty. */
export function drained(bridge: ChildHandle, connection: string, timeoutMs = 120_000): Promise<{ ms: number; value: Progress }> {
  return pollUntil(() => progressOf(bridge, connection), (p) => p.jobs.pending === 0, { timeoutMs, what: `${connection} queue empty`, intervalMs: 200 });
}
