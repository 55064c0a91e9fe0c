import { prepareBenchStore } from './lib/bench-store.js';
import { scimHeaders } from './lib/bridge-config.js';
import { scimCaller, startBridgeChild, startSimChild, type ServerChild, type SimChild } from './lib/children.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { benchArgs, ms, printFooter, printHeader, progress } from './lib/run-info.js';

/**
 * The cost of a `/Roles` request (issue 14): Okta's discovery page `GET /Roles?startIndex=1&count=1`
 * against a Redis Enterprise connection whose simulator adds `latency` ms to every target call,
 * beside `GET /ServiceProviderConfig` (authenticated, no store, no target) in the same run, rounds
 * alternating. A /Roles request is served from the role cache: the run counts the target's
 * `GET /v1/roles` calls while it measures, which must be none.
 */

const args = benchArgs({ duration: '5', warmup: '2', rounds: '2', concurrency: '8', latency: '20' });
const CONNECTION = 'cluster';
const paths = { roles: `/scim/v2/${CONNECTION}/Roles?startIndex=1&count=1`, config: `/scim/v2/${CONNECTION}/ServiceProviderConfig` };

function measure(bridge: ServerChild, path: string, durationMs: number): Promise<LoadResult> {
  return runLoad({
    origin: bridge.url,
    concurrency: args.int('concurrency'),
    durationMs,
    headers: scimHeaders,
    next: () => ({ method: 'GET', path }),
    expectStatus: 200,
    check: (body) => (path === paths.roles ? body.includes('"itemsPerPage":1') : body.includes('ServiceProviderConfig')),
    checkEvery: 50,
    serverPid: bridge.pid,
  });
}

async function roleCalls(sim: SimChild, since: number): Promise<number> {
  const { byRoute } = await sim.ask<{ byRoute: Record<string, number> }>('calls', since);
  return Object.entries(byRoute).filter(([route]) => route.startsWith('GET /v1/roles')).reduce((sum, [, n]) => sum + n, 0);
}

function row(round: number, name: string, r: LoadResult, calls: number | string): string {
  const cpu = `${r.clientCpu.toFixed(0)}% / ${r.serverCpu?.toFixed(0) ?? '?'}%`;
  return `| ${round} | ${name} | ${Math.round(r.perSecond)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.errors} | ${calls} | ${cpu} |`;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const store = prepareBenchStore(args.store);
  printHeader('roles', await store.describe());
  const sim = await startSimChild(args.int('latency'));
  const bridge = await startBridgeChild({ store: store.location, connections: [{ name: CONNECTION, target: sim }], runWorkers: false, logLevel: 'info', dir: store.dir });
  try {
    // The first request reads the cluster's roles (one GET /v1/roles); every later one is served from the cache.
    const caller = scimCaller(bridge.url);
    const firstAt = Date.now();
    const first = performance.now();
    const sample = await caller.send('GET', paths.roles);
    const firstMs = performance.now() - first;
    await caller.close();
    if (sample.status !== 200) throw new Error(`the bridge answered ${sample.status} to GET /Roles`);
    console.log(`target:    Redis Enterprise simulator in its own process, ${args.int('latency')} ms per target call`);
    console.log(`first:     GET /Roles before the cache holds anything: ${ms(firstMs)}, ${await roleCalls(sim, firstAt)} GET /v1/roles`);
    console.log(`load:      ${args.int('concurrency')} connections (undici Pool, closed loop), ${args.int('rounds')} rounds of ${args.int('duration')} s per path after ${args.int('warmup')} s warm-up each`);
    console.log('bridge:    child process, workers and reconciler off, log level info (one JSON access-log line per request, to a file)\n');
    for (const path of [paths.config, paths.roles]) await measure(bridge, path, args.int('warmup') * 1000);
    console.log('| round | request | req/s | p50 | p90 | p99 | max | errors | GET /v1/roles during the round | CPU client / server |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (let round = 1; round <= args.int('rounds'); round++) {
      progress(`round ${round}`);
      const config = await measure(bridge, paths.config, args.int('duration') * 1000);
      console.log(row(round, 'GET /ServiceProviderConfig', config, '-'));
      const since = Date.now();
      const roles = await measure(bridge, paths.roles, args.int('duration') * 1000);
      console.log(row(round, 'GET /Roles?startIndex=1&count=1', roles, await roleCalls(sim, since)));
    }
  } finally {
    await bridge.stop();
    await sim.stop();
    await store.dispose();
  }
  printFooter(startedAt);
}

await main();
