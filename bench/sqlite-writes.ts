import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { UserInput } from '../src/directory/model.js';
import { SqliteStore } from '../src/directory/sqlite/sqlite-store.js';
import { userInputFromBody } from '../src/scim/resources.js';
import { benchArgs, printFooter, printHeader } from './lib/run-info.js';
import { benchUserBody } from './lib/seed.js';

/**
 * The SQLite store's write-ahead log checkpoints: `--users` user creates, one after another
 * (each a transaction with its outbox job, as a SCIM POST writes), the event loop turning
 * between two, as in a server. Rounds alternate between SQLite's own checkpoints (in the commit
 * that fills the log, `checkpointEvery: 0`) and the store's worker thread (the default). Each
 * round is a fresh file. Per create: wall time, and latency p50 / p99 / p99.9 / max.
 */

const args = benchArgs({ users: '5000', rounds: '3' });

interface Round {
  mode: string;
  perCreateUs: number;
  cpuUs: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

async function round(checkpointEvery: number | undefined): Promise<Round> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-bench-'));
  const store = new SqliteStore({ path: path.join(dir, 'bench.db'), ...(checkpointEvery === undefined ? {} : { checkpointEvery }) });
  try {
    await store.migrate();
    const users = args.int('users');
    // Built first: scimmy's ingestion of a body costs more than the write it feeds.
    const inputs = Array.from({ length: users }, (_, n) => userInputFromBody(benchUserBody(n)));
    const latencies: number[] = [];
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let n = 0; n < users; n++) {
      await new Promise((resolve) => setImmediate(resolve));
      const input = inputs[n] as UserInput;
      const at = performance.now();
      await store.createUser('bench', input, { requestId: `w-${n}` });
      latencies.push(performance.now() - at);
    }
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    latencies.sort((a, b) => a - b);
    const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
    return {
      mode: checkpointEvery === 0 ? "SQLite's own (in the commit)" : 'worker thread (default)',
      perCreateUs: (elapsed / users) * 1000,
      cpuUs: (used.user + used.system) / users,
      p50: at(0.5),
      p99: at(0.99),
      p999: at(0.999),
      max: latencies.at(-1) ?? 0,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const probe = new Database(':memory:');
  const version = String(probe.prepare('SELECT sqlite_version() AS v').pluck().get());
  probe.close();
  printHeader('sqlite-writes', `SQLite ${version} (better-sqlite3, WAL, synchronous=NORMAL), a fresh file per round`);
  console.log(`load:      ${args.int('users')} user creates per round, one after another, the loop turning between two; process CPU includes the worker thread\n`);
  console.log('| round | checkpoints | wall per create | CPU per create | p50 | p99 | p99.9 | max |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (let i = 0; i < args.int('rounds'); i++) {
    for (const every of [0, undefined]) {
      const r = await round(every);
      const ms = (v: number): string => `${v.toFixed(2)} ms`;
      console.log(`| ${i + 1} | ${r.mode} | ${r.perCreateUs.toFixed(0)} µs | ${r.cpuUs.toFixed(0)} µs | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.p999)} | ${ms(r.max)} |`);
    }
  }
}

const startedAt = performance.now();
await main();
printFooter(startedAt);
