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
  /** With `splitAt`: calls completed before it, and the rate from it to the 90th percentile of completions. */
  split?: { before: number; rateAfter: number };
}

/**
 * Reads the simulator's calls completed since `since` (epoch ms) and computes their rates; with
 * `splitAt` (epoch ms, the end of a SCIM intake, say), also the calls before it and the rate after it.
 */
export async function callRates(sim: ChildHandle, since: number, splitAt?: number): Promise<CallRates> {
  const { times, byRoute, peak } = await sim.ask<{ times: number[]; byRoute: Record<string, number>; peak: number }>('calls', since);
  const sorted = [...times].sort((a, b) => a - b);
  const low = Math.floor(sorted.length * 0.1);
  const high = Math.max(low, Math.floor(sorted.length * 0.9) - 1);
  const spanMs = (sorted[high] ?? 0) - (sorted[low] ?? 0);
  const rates: CallRates = {
    total: sorted.length,
    peak,
    sustained: spanMs > 0 ? ((high - low) / spanMs) * 1000 : 0,
    routes: Object.entries(byRoute).map(([route, n]) => `${route}: ${n}`).join('; '),
  };
  if (splitAt === undefined) return rates;
  const before = sorted.filter((at) => at <= splitAt).length;
  const endAt = sorted[high] ?? splitAt;
  const rateAfter = endAt > splitAt ? ((high + 1 - before) / (endAt - splitAt)) * 1000 : 0;
  return { ...rates, split: { before, rateAfter } };
}
