import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { prepareBenchStore } from './lib/bench-store.js';
import { scimHeaders, type BridgeChildConfig } from './lib/bridge-config.js';
import { startBridgeChild, type ServerChild } from './lib/children.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { benchArgs, ms, printFooter, printHeader, progress } from './lib/run-info.js';
import { benchUserName, randomSource, seedUsers } from './lib/seed.js';

/**
 * Two builds of the bridge side by side on one store: this one and another (`BENCH_OTHER`, the
 * `dist-bench` folder of a build of another commit), each in its own child process, answering
 * the filtered `GET /Users?filter=userName eq "..."` of `read.ts` in rounds that alternate (and
 * swap order every round), so both see the same machine. For a before/after comparison on a
 * machine whose load moves faster than a run. On SQLite, whose store serves one bridge process,
 * the other build gets a copy of the seeded file in a folder of its own.
 */

const args = benchArgs({ users: '5000', duration: '8', rounds: '4', concurrency: '32', seed: '3' });
const CONNECTION = 'directory';

interface Build {
  name: string;
  server: ServerChild;
  requests: number;
  ms: number;
  cpuMs: number;
}

async function startOther(config: BridgeChildConfig): Promise<ServerChild> {
  const other = process.env.BENCH_OTHER;
  if (other === undefined || other === '') throw new Error('set BENCH_OTHER to the dist-bench folder of the other build');
  const children = (await import(pathToFileURL(path.join(path.resolve(other), 'bench/lib/children.js')).href)) as { startBridgeChild: typeof startBridgeChild };
  return children.startBridgeChild(config);
}

/** The other build's bridge: on SQLite a copy of the seeded file (closed, so checkpointed) in a folder of its own. */
function otherConfig(config: BridgeChildConfig, kind: string): BridgeChildConfig {
  if (kind !== 'sqlite') return config;
  const dir = path.join(config.dir, 'other');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'bench.db');
  copyFileSync(config.store.url.slice('sqlite:'.length), file);
  return { ...config, store: { url: `sqlite:${file}` }, dir };
}

function load(server: ServerChild, users: number, durationMs: number, seed: number): Promise<LoadResult> {
  const random = randomSource(seed);
  return runLoad({
    origin: server.url,
    concurrency: args.int('concurrency'),
    durationMs,
    headers: scimHeaders,
    next: () => ({ method: 'GET', path: `/scim/v2/${CONNECTION}/Users?filter=${encodeURIComponent(`userName eq "${benchUserName(Math.floor(random() * users))}"`)}&startIndex=1&count=100` }),
    expectStatus: 200,
    check: (body) => body.includes('"totalResults":1,'),
    checkEvery: 50,
    serverPid: server.pid,
  });
}

async function main(): Promise<void> {
  const users = args.int('users');
  const store = prepareBenchStore(args.store);
  printHeader('read-ab', await store.describe());
  console.log(`other:     ${process.env.BENCH_OTHER ?? '(unset)'}`);
  const builds: Build[] = [];
  try {
    progress(`seeding ${users} users`);
    const opened = await store.open(16);
    await seedUsers(opened, CONNECTION, users, { concurrency: 16, isSynced: true }).finally(() => opened.close());
    await store.analyze();
    const config: BridgeChildConfig = { store: store.location, connections: [{ name: CONNECTION, target: null }], runWorkers: false, logLevel: 'info', dir: store.dir };
    builds.push({ name: 'other', server: await startOther(otherConfig(config, store.kind)), requests: 0, ms: 0, cpuMs: 0 });
    builds.push({ name: 'this', server: await startBridgeChild(config), requests: 0, ms: 0, cpuMs: 0 });
    for (const build of builds) await load(build.server, users, 2000, 1);
    console.log(`load:      ${args.int('concurrency')} connections, ${args.int('rounds')} rounds of ${args.int('duration')} s per build after 2 s warm-up, order swapped every round\n`);
    console.log('| round | build | req/s | p50 | p99 | errors | server CPU | server CPU per request |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (let round = 1; round <= args.int('rounds'); round++) {
      for (const build of round % 2 === 1 ? builds : [...builds].reverse()) {
        progress(`round ${round}: ${build.name}`);
        const r = await load(build.server, users, args.int('duration') * 1000, args.int('seed') + round);
        const cpuMs = ((r.serverCpu ?? 0) / 100) * r.elapsedMs;
        build.requests += r.requests;
        build.ms += r.elapsedMs;
        build.cpuMs += cpuMs;
        console.log(`| ${round} | ${build.name} | ${Math.round(r.perSecond)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.errors} | ${r.serverCpu?.toFixed(0) ?? '?'}% | ${Math.round((cpuMs * 1000) / Math.max(1, r.requests))} µs |`);
      }
    }
    console.log('');
    for (const build of builds) {
      console.log(`${build.name}: ${Math.round((build.requests / build.ms) * 1000)} req/s, ${Math.round((build.cpuMs * 1000) / Math.max(1, build.requests))} µs server CPU per request over ${build.requests} requests`);
    }
  } finally {
    for (const build of builds.reverse()) await build.server.stop();
    await store.dispose();
  }
}

const startedAt = performance.now();
await main();
printFooter(startedAt);
