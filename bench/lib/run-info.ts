import os from 'node:os';
import { parseArgs } from 'node:util';

/**
 * Command-line options every benchmark shares and what each prints first: how to reproduce
 * the run, the machine, the database, the date.
 */

/** Which store a run measures. */
export type StoreKind = 'sqlite' | 'postgres';

/** The PostgreSQL server the benchmarks use (a schema of their own, dropped at the end). */
export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Parsed options: `--store` plus the script's own integer options. */
export interface BenchArgs {
  store: StoreKind;
  /** One integer option. */
  int(name: string): number;
  /** A comma-separated list of integers (`--concurrency 8,32`). */
  ints(name: string): number[];
}

/** Parses `--store sqlite|postgres` and the script's options (`defaults` holds each one's default text). */
export function benchArgs(defaults: Record<string, string>): BenchArgs {
  const options = Object.fromEntries(Object.entries(defaults).map(([name, value]) => [name, { type: 'string' as const, default: value }]));
  const { values } = parseArgs({ options: { ...options, store: { type: 'string', default: 'sqlite' } }, strict: true });
  const store = values.store;
  if (store !== 'sqlite' && store !== 'postgres') throw new Error('--store must be sqlite or postgres');
  const given = values as Record<string, string | undefined>;
  const text = (name: string): string => {
    const value = given[name];
    if (typeof value !== 'string') throw new Error(`unknown option --${name}`);
    return value;
  };
  const ints = (name: string): number[] =>
    text(name).split(',').map((part) => {
      const n = Number(part.trim());
      if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects non-negative integers, got "${part}"`);
      return n;
    });
  return { store, ints, int: (name) => ints(name)[0] as number };
}

/** A PostgreSQL URL with its password masked (for printing). */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The machine, as one line. */
export function machineLine(): string {
  const cpus = os.cpus();
  const ram = (os.totalmem() / 2 ** 30).toFixed(1);
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${ram} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, load average at start ${load}`;
}

/** Prints the header of a run: title, date, how to reproduce it, machine, database. */
export function printHeader(script: string, database: string): void {
  const args = process.argv.slice(2).join(' ');
  const env = process.env.TEST_DATABASE_URL ? `TEST_DATABASE_URL=${safeUrl(process.env.TEST_DATABASE_URL)} ` : '';
  console.log(`# scim-bridge benchmark: ${script}`);
  console.log(`date:      ${new Date().toISOString()}`);
  console.log(`reproduce: npm run bench:build && ${env}node dist-bench/bench/${script}.js ${args}`.trimEnd());
  console.log(`machine:   ${machineLine()}`);
  console.log(`database:  ${database}`);
}

/** Prints the end of a run: how long it took and the load average then (other processes share the machine). */
export function printFooter(startedAt: number): void {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\nrun took ${((performance.now() - startedAt) / 1000).toFixed(0)} s; load average at end ${load}`);
}

/** Logs progress to stderr (stdout keeps the results). */
export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Milliseconds with one decimal. */
export const ms = (value: number): string => `${value.toFixed(1)} ms`;
