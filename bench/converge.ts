import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareBenchStore } from './lib/bench-store.js';
import { adminGroupMapping, scimHeaders } from './lib/bridge-config.js';
import { scimCaller, startBridgeChild, startSimChild, type ServerChild, type SimChild } from './lib/children.js';
import { runLoad } from './lib/load.js';
import { pollUntil, progressOf } from './lib/progress.js';
import { callRates, type CallRates } from './lib/call-rates.js';
import { benchArgs, printFooter, printHeader, progress } from './lib/run-info.js';
import { modulesOf, type CpuProfile } from './lib/profile.js';
import { benchUserBody } from './lib/seed.js';
import type { StoreWork } from '../src/directory/sql/sql-store.js';

/**
 * Convergence benchmark (issue 4 §7, issue 5): 5,000 users created over SCIM into the Redis
 * Enterprise simulator, which answers every target call after 20 ms; time until every user is
 * `synced`, and the sustained target call rate against the bound latency and `limits.concurrency`
 * set. Then a 5,000-member group is pushed (Okta: POST /Groups with no members, one PATCH adding
 * them all) with a mapping rule giving its members `admin`: time until every role has converged.
 * One fresh store, simulator and bridge per concurrency value.
 */

const args = benchArgs({ users: '5000', latency: '20', concurrency: '8,32', clients: '32', timeout: '150', profile: '0' });
const CONNECTION = 're';
const GROUP = 'Bench Admins';

interface Outcome {
  concurrency: number;
  intakeMs: number;
  createMs: number;
  create: CallRates;
  createWork: Work;
  roleMs: number;
  role: CallRates;
  roleWork: Work;
  admins: number;
}

/** What the bridge process spent in a phase: CPU time (ms) and store calls by method. */
interface Work {
  cpuMs: number;
  /** Time the bridge's main thread was ready to run but waited for a CPU (null off Linux). */
  waitedMs: number | null;
  storeCalls: Record<string, number>;
  /** Time the bridge waited for its store calls, by method (ms). */
  storeMs: Record<string, number>;
  /** What the store sent its database: statements, commits, round trips. */
  storeWork: StoreWork;
  /** Mean time of one job and of one target call as the bridge measured them (its metrics), ms. */
  jobMs: number;
  callMs: number;
}

interface WorkSample {
  user: number;
  system: number;
  waitedMs: number | null;
  storeCalls: Record<string, number>;
  storeMs: Record<string, number>;
  storeWork: StoreWork;
  /** Sums (s) and counts of the job and target-call duration histograms. */
  timings: Timings;
}

interface Timings {
  jobSeconds: number;
  jobs: number;
  callSeconds: number;
  calls: number;
}

/** The bridge's job and target-call duration histograms, summed over their labels, from /metrics. */
async function timingsOf(bridge: ServerChild): Promise<Timings> {
  const text = await (await fetch(`${bridge.url}/metrics`)).text();
  const total = (name: string): number =>
    text.split('\n').filter((line) => line.startsWith(`scim_bridge_${name}{`) || line.startsWith(`scim_bridge_${name} `)).reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  return {
    jobSeconds: total('sync_job_duration_seconds_sum'),
    jobs: total('sync_job_duration_seconds_count'),
    callSeconds: total('target_call_duration_seconds_sum'),
    calls: total('target_call_duration_seconds_count'),
  };
}

const sampleWork = async (bridge: ServerChild): Promise<WorkSample> => ({ ...(await bridge.ask<Omit<WorkSample, 'timings'>>('cpu')), timings: await timingsOf(bridge) });

function workSince(before: WorkSample, after: WorkSample): Work {
  const storeCalls: Record<string, number> = {};
  const storeMs: Record<string, number> = {};
  for (const [method, n] of Object.entries(after.storeCalls)) {
    const delta = n - (before.storeCalls[method] ?? 0);
    if (delta > 0) storeCalls[method] = delta;
    if (delta > 0) storeMs[method] = (after.storeMs[method] ?? 0) - (before.storeMs[method] ?? 0);
  }
  const waitedMs = after.waitedMs === null || before.waitedMs === null ? null : after.waitedMs - before.waitedMs;
  const storeWork: StoreWork = {
    statements: after.storeWork.statements - before.storeWork.statements,
    commits: after.storeWork.commits - before.storeWork.commits,
    roundTrips: after.storeWork.roundTrips - before.storeWork.roundTrips,
  };
  const mean = (seconds: number, count: number): number => (count > 0 ? (seconds / count) * 1000 : 0);
  const jobMs = mean(after.timings.jobSeconds - before.timings.jobSeconds, after.timings.jobs - before.timings.jobs);
  const callMs = mean(after.timings.callSeconds - before.timings.callSeconds, after.timings.calls - before.timings.calls);
  return { cpuMs: (after.user + after.system - before.user - before.system) / 1000, waitedMs, storeCalls, storeMs, storeWork, jobMs, callMs };
}

async function createUsers(bridge: ServerChild, sim: SimChild, users: number): Promise<Pick<Outcome, 'intakeMs' | 'createMs' | 'create' | 'createWork'>> {
  if (args.int('profile') === 1) await bridge.ask('profileStart');
  const work = await sampleWork(bridge);
  const since = Date.now();
  const started = performance.now();
  const intake = await runLoad({
    origin: bridge.url,
    concurrency: args.int('clients'),
    requests: users,
    headers: scimHeaders,
    next: (i) => ({ method: 'POST', path: `/scim/v2/${CONNECTION}/Users`, body: JSON.stringify(benchUserBody(i)) }),
    expectStatus: 201,
  });
  if (intake.errors > 0) throw new Error(`SCIM creates failed (${intake.errors}): ${intake.firstError}`);
  const intakeEnd = Date.now();
  // The states are counted only once the queue is empty, as in the push (a count on every poll
  // cost the bridge about 300 ms of CPU per run).
  const done = await pollUntil(
    async () => {
      const progress = await progressOf(bridge, CONNECTION, { summary: false });
      return progress.jobs.pending === 0 ? progressOf(bridge, CONNECTION) : progress;
    },
    (p) => p.summary.byStatus.synced === users && p.jobs.pending === 0,
    { timeoutMs: args.int('timeout') * 1000, what: `${users} users synced`, since: started },
  );
  const createWork = workSince(work, await sampleWork(bridge));
  if (args.int('profile') === 1) printProfile(await bridge.ask<CpuProfile>('profileStop'), users, 'creates');
  return { intakeMs: intake.elapsedMs, createMs: done.ms, create: await callRates(sim, since, intakeEnd), createWork };
}

async function pushGroup(bridge: ServerChild, sim: SimChild, users: number): Promise<Pick<Outcome, 'roleMs' | 'role' | 'roleWork' | 'admins'>> {
  const caller = scimCaller(bridge.url);
  try {
    const ids: string[] = [];
    for (let page = 0; page * 1000 < users; page++) {
      const listed = await caller.send('GET', `/scim/v2/${CONNECTION}/Users?startIndex=${page * 1000 + 1}&count=1000&attributes=id`);
      ids.push(...(listed.body as { Resources: { id: string }[] }).Resources.map((r) => r.id));
    }
    if (args.int('profile') === 1) await bridge.ask('profileStart');
    const work = await sampleWork(bridge);
    const since = Date.now();
    const started = performance.now();
    const group = await caller.send('POST', `/scim/v2/${CONNECTION}/Groups`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: GROUP, members: [] });
    const groupId = (group.body as { id: string }).id;
    const patch = await caller.send('PATCH', `/scim/v2/${CONNECTION}/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }],
    });
    if (group.status !== 201 || patch.status !== 204) throw new Error(`group push answered ${group.status} then ${patch.status}`);
    // The roles are counted (every state read) only once the queue is empty: counting them on
    // every poll took the bridge about 5% of its CPU in this phase.
    const done = await pollUntil(
      async () => {
        // The queue only: a sync summary counts every state (about 4 ms of the bridge's loop per poll).
        const queue = (await progressOf(bridge, CONNECTION, { summary: false })).jobs.pending;
        return { queue, roles: queue === 0 ? await bridge.ask<Record<string, number>>('roles', CONNECTION) : {} };
      },
      (v) => v.roles['synced:admin'] === users && v.queue === 0,
      { timeoutMs: args.int('timeout') * 1000, what: `${users} admins`, since: started, intervalMs: 250 },
    );
    const roleWork = workSince(work, await sampleWork(bridge));
    if (args.int('profile') === 1) printProfile(await bridge.ask<CpuProfile>('profileStop'), users, 'push');
    return { roleMs: done.ms, role: await callRates(sim, since), roleWork, admins: await adminsInTarget(sim) };
  } finally {
    await caller.close();
  }
}

/**
 * With `--profile 1`: the bridge's busy time in a phase by code module, per user (the profiler's
 * own cost included); the whole profile is written beside the run's report for a closer look.
 */
function printProfile(profile: CpuProfile, users: number, phase: 'creates' | 'push'): void {
  const file = path.join(tmpdir(), `converge-${args.store}-${phase}-${process.pid}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const modules = modulesOf(profile);
  const total = modules.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`\nprofile of the ${phase === 'push' ? 'group push' : 'creates'} (bridge, sampled every 200 µs, ${file}): ${((total * 1000) / users).toFixed(0)} µs busy per user, by module\n`);
  console.log('| module | µs per user | share |');
  console.log('|---|---|---|');
  for (const [module, ms] of modules.slice(0, 16)) console.log(`| ${module} | ${((ms * 1000) / users).toFixed(0)} | ${((ms / total) * 100).toFixed(0)}% |`);
  console.log('');
}

/** Users the simulator itself holds with the admin role (the bridge's own admin excluded). */
async function adminsInTarget(sim: SimChild): Promise<number> {
  const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as { users: { email: string; role?: string }[] };
  return state.users.filter((u) => u.role === 'admin' && u.email.endsWith('@bench.example.com')).length;
}

/**
 * What any client gets from the simulator at this concurrency: a bare undici client calling it
 * directly, with no bridge in between, on a simulator of its own seeded with as many users as the
 * run creates, so any cost of the simulator's size is in it too: `read` calls
 * `GET /v1/users/{uid}` over the users, `create` makes new users with `POST /v1/users` as the
 * connector does (email, name, role, password), each for 5 s. Its mean call is the latency plus
 * the simulator's own HTTP work and both processes' scheduling: the share of the bound a client
 * can reach at all.
 */
async function directCeiling(concurrency: number, users: number, kind: 'read' | 'create'): Promise<{ meanMs: number; ofBound: number }> {
  const sim = await startSimChild(args.int('latency'));
  try {
    const target = new URL(sim.url);
    const root = target.pathname.replace(/\/$/, '');
    const seed = { users: Array.from({ length: users }, (_, i) => ({ email: `ceiling${i}@bench.example.com`, name: `Ceiling ${i}` })) };
    const seeded = await fetch(`${target.origin}${root}/_sim/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(seed) });
    if (seeded.status !== 201) throw new Error(`seeding the ceiling's simulator answered ${seeded.status}`);
    const seededUids = ((await seeded.json()) as { users: { uid: number }[] }).users.map((user) => user.uid);
    const uids = seededUids.length > 0 ? seededUids : [1];
    const authorization = `Basic ${Buffer.from(`${sim.credentials.username}:${sim.credentials.password}`).toString('base64')}`;
    let total = 0;
    let count = 0;
    const load = await runLoad({
      origin: target.origin, concurrency, durationMs: 5_000, headers: kind === 'read' ? { authorization } : { authorization, 'content-type': 'application/json' },
      next: (i) =>
        kind === 'read'
          ? { method: 'GET', path: `${root}/v1/users/${uids[i % uids.length]}` }
          : { method: 'POST', path: `${root}/v1/users`, body: JSON.stringify({ email: `ceiling-new${i}@bench.example.com`, name: `New ${i}`, role: 'db_viewer', password: `Ceiling-${i}-password-long-enough` }) },
      expectStatus: 200, onResponse: (_i, ms) => void ((total += ms), count++),
    });
    if (load.errors > 0) throw new Error(`the ceiling's calls failed (${load.errors}): ${load.firstError}`);
    const meanMs = total / Math.max(count, 1);
    return { meanMs, ofBound: args.int('latency') / meanMs };
  } finally {
    await sim.stop();
  }
}

async function runOne(concurrency: number): Promise<Outcome> {
  const store = prepareBenchStore(args.store);
  const sim = await startSimChild(args.int('latency'));
  const connection = { name: CONNECTION, target: sim, concurrency, inlineWaitMs: 0, mappingYaml: adminGroupMapping(GROUP) };
  const bridge = await startBridgeChild({ store: store.location, connections: [connection], runWorkers: true, logLevel: 'info', dir: store.dir });
  try {
    progress(`concurrency ${concurrency}: creating ${args.int('users')} users`);
    const created = await createUsers(bridge, sim, args.int('users'));
    progress(`concurrency ${concurrency}: pushing a ${args.int('users')}-member group`);
    const pushed = await pushGroup(bridge, sim, args.int('users'));
    return { concurrency, ...created, ...pushed };
  } finally {
    await bridge.stop();
    await sim.stop();
    await store.dispose();
  }
}

/** The bridge's CPU and store calls per user in a phase, as one line. */
function workLine(o: Outcome, what: string, work: Work, phaseMs: number): string {
  const users = args.int('users');
  const share = `${((work.cpuMs / phaseMs) * 100).toFixed(0)}% of one core over the phase`;
  const waited = work.waitedMs === null ? '' : `, ready to run but waiting for a CPU ${((work.waitedMs / phaseMs) * 100).toFixed(0)}% of the phase`;
  const calls = Object.entries(work.storeCalls)
    .sort((a, b) => b[1] - a[1])
    .map(([method, n]) => `${method} ${(n / users).toFixed(2)} (${((work.storeMs[method] ?? 0) / n).toFixed(2)} ms each)`)
    .join(', ');
  const sent = work.storeWork;
  const database = `${(sent.statements / users).toFixed(2)} statements, ${(sent.commits / users).toFixed(2)} commits, ${(sent.roundTrips / users).toFixed(2)} round trips`;
  const timing = `mean job ${work.jobMs.toFixed(1)} ms, mean target call ${work.callMs.toFixed(1)} ms (as the bridge measures them)`;
  return `- concurrency ${o.concurrency}, ${what}: bridge CPU ${(work.cpuMs / users).toFixed(2)} ms per user (${(work.cpuMs / 1000).toFixed(1)} s, ${share}${waited}); ${timing}; per user to the database: ${database}; store calls per user (mean time from call to answer): ${calls}`;
}

function report(o: Outcome, latency: number): void {
  const bound = (o.concurrency / latency) * 1000;
  const line = (what: string, msTaken: number, r: CallRates): string => {
    const perUser = r.total / args.int('users');
    const floor = (args.int('users') * perUser) / bound;
    return `| ${o.concurrency} | ${what} | ${(msTaken / 1000).toFixed(1)} s | ${floor.toFixed(1)} s | ${r.total} (${perUser.toFixed(2)}/user) | ${Math.round(r.sustained)}/s | ${Math.round(bound)}/s | ${((r.sustained / bound) * 100).toFixed(0)}% | ${r.peak} | ${r.routes} |`;
  };
  console.log(line(`${args.int('users')} creates (SCIM intake ${(o.intakeMs / 1000).toFixed(1)} s)`, o.createMs, o.create));
  console.log(line(`group push → admin (${o.admins} admins in target)`, o.roleMs, o.role));
  const split = o.create.split;
  if (split) {
    const during = o.intakeMs > 0 ? (split.before / o.intakeMs) * 1000 : 0;
    splitLines.push(
      `- concurrency ${o.concurrency}, creates: ${split.before} target calls during the SCIM intake (${Math.round(during)}/s, ${((during / bound) * 100).toFixed(0)}% of the bound), then ${Math.round(split.rateAfter)}/s (${((split.rateAfter / bound) * 100).toFixed(0)}%) from its end to the 90th percentile of calls`,
    );
  }
}

/** The creates' target calls split at the end of the intake, printed after the table. */
const splitLines: string[] = [];

async function main(): Promise<void> {
  const probe = prepareBenchStore(args.store);
  printHeader('converge', await probe.describe());
  await probe.dispose();
  console.log(`target:    Redis Enterprise simulator in its own process, ${args.int('latency')} ms per call; SCIM clients: ${args.int('clients')}; inline wait 0 (responses once durable)`);
  console.log('bound:     limits.concurrency / latency calls per second (each job makes its calls one after another)');
  for (const concurrency of args.ints('concurrency')) {
    const ceiling = await directCeiling(concurrency, args.int('users'), 'read');
    console.log(`ceiling:   a bare client straight to a simulator holding ${args.int('users')} users at concurrency ${concurrency} (GET /v1/users/{uid}, 5 s): ${ceiling.meanMs.toFixed(1)} ms per call, ${(ceiling.ofBound * 100).toFixed(0)}% of the bound`);
    const creates = await directCeiling(concurrency, args.int('users'), 'create');
    console.log(`           the same for creates (POST /v1/users of new users, 5 s): ${creates.meanMs.toFixed(1)} ms per call, ${(creates.ofBound * 100).toFixed(0)}% of the bound`);
  }
  console.log('');
  console.log('| concurrency | phase | time to converge | floor at the bound | target calls | sustained rate | bound | of bound | peak calls in progress | calls by route |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const outcomes: Outcome[] = [];
  for (const concurrency of args.ints('concurrency')) {
    const outcome = await runOne(concurrency);
    outcomes.push(outcome);
    report(outcome, args.int('latency'));
  }
  if (splitLines.length > 0) console.log(['', 'Target calls of the creates, during the intake and after it:', ...splitLines].join('\n'));
  console.log('\nBridge process, per phase (SCIM intake included in the creates):');
  for (const o of outcomes) {
    console.log(workLine(o, 'creates', o.createWork, o.createMs));
    console.log(workLine(o, 'group push', o.roleWork, o.roleMs));
  }
}

const startedAt = performance.now();
await main();
printFooter(startedAt);
