import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareBenchStore, type BenchStore } from './lib/bench-store.js';
import { scimHeaders } from './lib/bridge-config.js';
import { scimCaller, startBareChild, startBridgeChild, startFloorChild, type ServerChild } from './lib/children.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { stagesOf, stageTable, type CpuProfile, type StageColumn } from './lib/profile.js';
import { benchArgs, ms, printFooter, printHeader, progress } from './lib/run-info.js';
import { benchUserName, randomSource, seedUsers } from './lib/seed.js';

/**
 * Read benchmark (issue 2 item 10, issue 5): 100,000 users seeded through the Store API, then
 * `GET /scim/v2/<c>/Users?filter=userName eq "<random existing user>"` at 32 concurrent
 * connections, beside a bare express endpoint that answers the same bytes, with the same client
 * and concurrency, in the same run. Rounds alternate baseline and bridge to even out noise.
 * With `--profile 1`, one more round of each server runs under the V8 profiler and their CPU per
 * request is printed by stage side by side (bench/lib/profile.ts); those rounds are not in the ratio.
 * With `--floor 1`, a third server takes part in every round: the floor (bench/lib/floor-child.ts),
 * express doing only what no bridge can skip (the token check, one indexed lookup in the same
 * store, one access-log line), so the run shows how far the bridge is from it and the floor from bare.
 */

const args = benchArgs({ users: '100000', duration: '10', warmup: '3', rounds: '2', concurrency: '32', seed: '7', profile: '0', floor: '0' });

/** The servers of a run: bare answers `GET /bare`; the floor and the bridge take the SCIM request. */
type ServerName = 'bare' | 'floor' | 'bridge';
const CONNECTION = 'directory';

async function seed(store: BenchStore, users: number): Promise<void> {
  const opened = await store.open(16);
  try {
    const rate = await seedUsers(opened, CONNECTION, users, { concurrency: 16, isSynced: true });
    console.log(`seeded:    ${users} users with a synced sync state each, through the Store API in ${(rate.ms / 1000).toFixed(1)} s (${Math.round(rate.perSecond)} users/s)`);
  } finally {
    await opened.close();
  }
  await store.analyze();
}

function filteredRead(users: number, seedValue: number): (i: number) => { method: 'GET'; path: string } {
  const random = randomSource(seedValue);
  return () => {
    const filter = encodeURIComponent(`userName eq "${benchUserName(Math.floor(random() * users))}"`);
    // As Okta probes before a create (docs/okta.md): filter, startIndex=1, count=100.
    return { method: 'GET', path: `/scim/v2/${CONNECTION}/Users?filter=${filter}&startIndex=1&count=100` };
  };
}

async function measure(server: ServerChild, name: ServerName, durationMs: number): Promise<LoadResult> {
  const isScim = name !== 'bare';
  const users = args.int('users');
  return runLoad({
    origin: server.url,
    concurrency: args.int('concurrency'),
    durationMs,
    headers: isScim ? scimHeaders : {},
    next: isScim ? filteredRead(users, args.int('seed') + Math.floor(Math.random() * 1000)) : () => ({ method: 'GET', path: '/bare' }),
    expectStatus: 200,
    check: (body) => body.includes('"totalResults":1,'),
    checkEvery: 50,
    serverPid: server.pid,
  });
}

function row(round: number, name: string, r: LoadResult): string {
  const cpu = `${r.clientCpu.toFixed(0)}% / ${r.serverCpu?.toFixed(0) ?? '?'}%`;
  const perRequest = r.serverCpu === null || r.requests === 0 ? '?' : `${Math.round(((r.serverCpu / 100) * r.elapsedMs * 1000) / r.requests)} µs`;
  return `| ${round} | ${name} | ${Math.round(r.perSecond)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.errors} | ${cpu} | ${perRequest} |`;
}

/**
 * One more round of each server under the V8 profiler (sampling every 200 µs): CPU per request
 * by stage, the bare endpoint beside the bridge (its express, JSON and Node HTTP work is the
 * floor both pay). The profiles are written next to the system's temporary files.
 */
async function profiledRounds(servers: readonly [ServerChild, ServerName][]): Promise<void> {
  const columns: StageColumn[] = [];
  const notes: string[] = [];
  for (const [server, name] of servers) {
    progress(`profiled round: ${name}`);
    await server.ask('profileStart');
    const result = await measure(server, name, args.int('duration') * 1000);
    const profile = await server.ask<CpuProfile>('profileStop');
    columns.push({ name, totals: stagesOf(profile), requests: result.requests });
    const file = path.join(os.tmpdir(), `scim-bridge-read-${args.store}-${name}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    notes.push(`${name}: ${result.requests} requests, ${Math.round(result.perSecond)} req/s under the profiler, ${result.errors} errors; profile ${file}`);
  }
  console.log('\nprofiled rounds: CPU per request by stage (bench/lib/profile.ts; for the bare server, express and its JSON count as routing)\n');
  for (const line of stageTable(columns)) console.log(line);
  console.log('');
  for (const note of notes) console.log(note);
}

async function main(): Promise<void> {
  const store = prepareBenchStore(args.store);
  printHeader('read', await store.describe());
  const children: ServerChild[] = [];
  try {
    progress(`seeding ${args.int('users')} users`);
    await seed(store, args.int('users'));
    const bridge = await startBridgeChild({ store: store.location, connections: [{ name: CONNECTION, target: null }], runWorkers: false, logLevel: 'info', dir: store.dir });
    children.push(bridge);
    const caller = scimCaller(bridge.url);
    const sample = await caller.send('GET', filteredRead(args.int('users'), 1)(0).path);
    await caller.close();
    if (sample.status !== 200) throw new Error(`the bridge answered ${sample.status} to a filtered read`);
    const bare = await startBareChild(sample.body);
    children.push(bare);
    const servers: [ServerChild, ServerName][] = [[bare, 'bare'], [bridge, 'bridge']];
    if (args.int('floor') === 1) {
      const floor = await startFloorChild({ store: store.location, connection: CONNECTION, body: sample.body, dir: store.dir });
      children.push(floor);
      servers.splice(1, 0, [floor, 'floor']);
    }
    console.log(`load:      ${args.int('concurrency')} connections (undici Pool, closed loop), ${args.int('rounds')} rounds of ${args.int('duration')} s per server after ${args.int('warmup')} s warm-up each; response ${JSON.stringify(sample.body).length} bytes`);
    console.log('bridge:    child process, workers off, log level info (one JSON access-log line per request, to a file)');
    if (args.int('floor') === 1) console.log("floor:     express with the token check, one indexed lookup in the same store and one access-log line, answering the same bytes, with the bridge's node flags (bench/lib/floor-child.ts)");
    console.log('');
    for (const [server, name] of servers) {
      progress(`warming up ${name}`);
      await measure(server, name, args.int('warmup') * 1000);
    }
    const totals: Record<ServerName, { n: number; ms: number }> = { bare: { n: 0, ms: 0 }, floor: { n: 0, ms: 0 }, bridge: { n: 0, ms: 0 } };
    const worst = { p50: 0, p99: 0 };
    console.log('| round | server | req/s | p50 | p90 | p99 | max | errors | CPU client / server | server CPU per request |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (let round = 1; round <= args.int('rounds'); round++) {
      for (const [server, name] of servers) {
        progress(`round ${round}: ${name}`);
        const result = await measure(server, name, args.int('duration') * 1000);
        totals[name].n += result.requests;
        totals[name].ms += result.elapsedMs;
        if (name === 'bridge' && result.p99 / Math.max(result.p50, 1e-9) >= worst.p99 / Math.max(worst.p50, 1e-9)) Object.assign(worst, { p50: result.p50, p99: result.p99 });
        console.log(row(round, name, result));
        if (result.errors > 0) console.log(`  first error: ${result.firstError}`);
      }
    }
    const rate = (t: { n: number; ms: number }): number => (t.n / t.ms) * 1000;
    console.log(`\nratio (bridge / bare throughput): ${(rate(totals.bridge) / rate(totals.bare)).toFixed(3)} (${Math.round(rate(totals.bridge))} / ${Math.round(rate(totals.bare))} req/s)`);
    if (args.int('floor') === 1) {
      console.log(`ratio (floor / bare throughput): ${(rate(totals.floor) / rate(totals.bare)).toFixed(3)} (${Math.round(rate(totals.floor))} req/s)`);
      console.log(`ratio (bridge / floor throughput): ${(rate(totals.bridge) / rate(totals.floor)).toFixed(3)}`);
    }
    console.log(`p99 / p50, bridge: ${(worst.p99 / Math.max(worst.p50, 1e-9)).toFixed(1)} (worst round)`);
    if (args.int('profile') === 1) await profiledRounds(servers);
  } finally {
    for (const child of children.reverse()) await child.stop();
    await store.dispose();
  }
}

const startedAt = performance.now();
await main();
printFooter(startedAt);
