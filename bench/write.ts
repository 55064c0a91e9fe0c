import { prepareBenchStore, type BenchStore } from './lib/bench-store.js';
import { scimHeaders, type BenchConnection } from './lib/bridge-config.js';
import { startBridgeChild, startSimChild, type ServerChild } from './lib/children.js';
import { importLine, importPages } from './lib/import-pages.js';
import { memoryOf, runLoad, type LoadResult } from './lib/load.js';
import { drained } from './lib/progress.js';
import { benchArgs, ms, printFooter, printHeader, progress } from './lib/run-info.js';
import { benchUserBody, benchUserName, randomSource, seedUsers } from './lib/seed.js';

/**
 * Write and memory benchmark (issue 5):
 * 1. `POST /Users` p50/p99, sequentially and at 16 concurrent clients, on two connections of one
 *    bridge: `eventual` (the default: the response waits up to 2 s for the first convergence
 *    attempt, one call to a Redis Enterprise simulator answering at once) and `durable` (inline
 *    wait 0: the response comes once the user and its outbox job are committed).
 * 2. Resident memory of the bridge process with 100,000 users in the store (seeded through the
 *    Store API, workers off): after start, after an Okta-style import (every page of
 *    `GET /Users?startIndex=..&count=100`) and after filtered reads.
 */

const args = benchArgs({ sequential: '500', concurrent: '2000', concurrency: '16', users: '100000', reads: '500' });

const postConnections = (sim: { url: string; credentials: Record<string, string> }): BenchConnection[] => [
  { name: 'eventual', target: sim },
  { name: 'durable', target: sim, inlineWaitMs: 0 },
];

async function posts(bridge: ServerChild, connection: string, prefix: string, requests: number, concurrency: number): Promise<LoadResult> {
  const result = await runLoad({
    origin: bridge.url,
    concurrency,
    requests,
    headers: scimHeaders,
    next: (i) => ({ method: 'POST', path: `/scim/v2/${connection}/Users`, body: JSON.stringify(benchUserBody(i, prefix)) }),
    expectStatus: 201,
    serverPid: bridge.pid,
  });
  await drained(bridge, connection);
  return result;
}

async function postPhase(store: BenchStore): Promise<void> {
  const sim = await startSimChild(0);
  const bridge = await startBridgeChild({ store: store.location, connections: postConnections(sim), runWorkers: true, logLevel: 'info', dir: store.dir });
  try {
    console.log('\n## POST /Users (fresh store; target: Redis Enterprise simulator in its own process, no added latency; worker concurrency 4)\n');
    console.log('| connection | clients | requests | req/s | p50 | p90 | p99 | max | errors | CPU bridge | CPU per request |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const connection of ['eventual', 'durable']) {
      // A short warm-up so the JIT and the statement caches are hot, as in a running bridge.
      await posts(bridge, connection, `warm-${connection}-`, 100, 4);
      for (const [clients, requests] of [[1, args.int('sequential')], [args.int('concurrency'), args.int('concurrent')]] as const) {
        progress(`POST ${connection}: ${requests} requests from ${clients} client(s)`);
        const r = await posts(bridge, connection, `${connection}-${clients}-`, requests, clients);
        console.log(`| ${connection} | ${clients} | ${r.requests} | ${Math.round(r.perSecond)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.errors} | ${r.serverCpu?.toFixed(0) ?? '?'}% | ${cpuPerRequest(r)} |`);
        if (r.errors > 0) console.log(`  first error: ${r.firstError}`);
      }
    }
  } finally {
    await bridge.stop();
    await sim.stop();
  }
}

/** The bridge's CPU time per request (its workers included), from its CPU share over the run. */
function cpuPerRequest(r: LoadResult): string {
  return r.serverCpu === null || r.requests === 0 ? '?' : ms(((r.serverCpu / 100) * r.elapsedMs) / r.requests);
}

async function filteredReads(bridge: ServerChild, users: number, reads: number): Promise<LoadResult> {
  const random = randomSource(11);
  return runLoad({
    origin: bridge.url,
    concurrency: 4,
    requests: reads,
    headers: scimHeaders,
    next: () => ({ method: 'GET', path: `/scim/v2/directory/Users?filter=${encodeURIComponent(`userName eq "${benchUserName(Math.floor(random() * users))}"`)}` }),
    expectStatus: 200,
  });
}

async function memoryPhase(store: BenchStore): Promise<void> {
  const users = args.int('users');
  progress(`seeding ${users} users`);
  const opened = await store.open(16);
  const seeded = await seedUsers(opened, 'directory', users, { concurrency: 16, isSynced: true }).finally(() => opened.close());
  await store.analyze();
  const bridge = await startBridgeChild({ store: store.location, connections: [{ name: 'directory', target: null }], runWorkers: false, logLevel: 'info', dir: store.dir });
  try {
    console.log(`\n## Resident memory with ${users} users (seeded through the Store API in ${(seeded.ms / 1000).toFixed(1)} s; bridge workers off)\n`);
    console.log('| moment | RSS | peak RSS | V8 heap used | external + array buffers |');
    console.log('|---|---|---|---|---|');
    const line = async (moment: string): Promise<void> => {
      const rss = memoryOf(bridge.pid);
      const heap = await bridge.ask<NodeJS.MemoryUsage>('heap');
      const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
      console.log(`| ${moment} | ${rss.rssMiB.toFixed(0)} MiB | ${rss.peakMiB.toFixed(0)} MiB | ${mib(heap.heapUsed)} | ${mib(heap.external + heap.arrayBuffers)} |`);
    };
    await line('after start');
    progress('import: every page of 100 users');
    const imported = await importPages(bridge, 'directory', users);
    await line(`after an import of ${users} users, 100 per page`);
    progress(`${args.int('reads')} filtered reads`);
    const reads = await filteredReads(bridge, users, args.int('reads'));
    await line(`after ${reads.requests} filtered reads`);
    console.log(`\nimport: ${importLine(imported)}`);
    console.log(`filtered reads (4 clients): p50 ${ms(reads.p50)}, p99 ${ms(reads.p99)}, errors ${reads.errors}`);
  } finally {
    await bridge.stop();
  }
}

async function main(): Promise<void> {
  const store = prepareBenchStore(args.store);
  printHeader('write', await store.describe());
  try {
    await postPhase(store);
    await memoryPhase(store);
  } finally {
    await store.dispose();
  }
}

const startedAt = performance.now();
await main();
printFooter(startedAt);
