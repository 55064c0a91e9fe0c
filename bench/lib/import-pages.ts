import { scimHeaders } from './bridge-config.js';
import type { ServerChild } from './children.js';
import { runLoad } from './load.js';
import { ms } from './run-info.js';

/** An Okta-style import's page times (`GET /Users?startIndex=…&count=100`, one client, every page). */
export interface ImportTimes {
  pages: number;
  totalMs: number;
  first: number;
  last: number;
  slowest: number;
  /** Medians of ten pages: one page's time moves by 2x on a shared machine (autovacuum, the load generator). */
  firstTen: number;
  middleTen: number;
  lastTen: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Reads every page of `users` users of `connection`, 100 per page, in order. */
export async function importPages(bridge: ServerChild, connection: string, users: number): Promise<ImportTimes> {
  const pages = Math.ceil(users / 100);
  const durations: number[] = [];
  const result = await runLoad({
    origin: bridge.url,
    concurrency: 1,
    requests: pages,
    headers: scimHeaders,
    next: (i) => ({ method: 'GET', path: `/scim/v2/${connection}/Users?startIndex=${i * 100 + 1}&count=100` }),
    onResponse: (i, latency) => (durations[i] = latency),
    expectStatus: 200,
    check: (body) => body.includes('"itemsPerPage":100'),
    checkEvery: 10,
  });
  if (result.errors > 0) throw new Error(`import failed: ${result.firstError}`);
  const middle = Math.floor(pages / 2);
  return {
    pages,
    totalMs: result.elapsedMs,
    first: durations[0] ?? 0,
    last: durations.at(-1) ?? 0,
    slowest: Math.max(...durations),
    firstTen: median(durations.slice(0, 10)),
    middleTen: median(durations.slice(middle - 5, middle + 5)),
    lastTen: median(durations.slice(-10)),
  };
}

/** One line for a run's output. */
export function importLine(t: ImportTimes): string {
  return `${t.pages} pages in ${(t.totalMs / 1000).toFixed(1)} s; first page ${ms(t.first)}, last page ${ms(t.last)}, slowest ${ms(t.slowest)}; medians of ten pages: first ${ms(t.firstTen)}, middle ${ms(t.middleTen)}, last ${ms(t.lastTen)} (last / first ${(t.lastTen / t.firstTen).toFixed(2)}x)`;
}
