import type { ChildHandle } from './ipc.js';

/** Target call figures from the simulator's call log. */

/** Calls the target answered in one phase. */
export interface CallRates {
  total: number;
  /**
   * Calls per second between the 10th and the 90th percentile of completion times: the steady
   * middle of the phase, without the ramp-up and the tail.
   */
  sustained: number;
  /** The most calls the target had in progress at once. */
  peak: number;
  /** Counts by route and status, as `GET /v1/users/{uid} 200: 5000`. */
  routes: string;
}

/** Reads the simulator's calls completed since `since` (epoch ms) and computes their rates. */
export async function callRates(sim: ChildHandle, since: number): Promise<CallRates> {
  const { times, byRoute, peak } = await sim.ask<{ times: number[]; byRoute: Record<string, number>; peak: number }>('calls', since);
  const sorted = [...times].sort((a, b) => a - b);
  const low = Math.floor(sorted.length * 0.1);
  const high = Math.max(low, Math.floor(sorted.length * 0.9) - 1);
  const spanMs = (sorted[high] ?? 0) - (sorted[low] ?? 0);
  return {
    total: sorted.length,
    peak,
    sustained: spanMs > 0 ? ((high - low) / spanMs) * 1000 : 0,
    routes: Object.entries(byRoute).map(([route, n]) => `${route}: ${n}`).join('; '),
  };
}
