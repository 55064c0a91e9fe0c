import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import type { SimulatorOptions } from '../../src/connectors/definition.js';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator, type Simulator } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import { createStore } from '../../src/directory/create-store.js';
import type { Store } from '../../src/directory/store.js';
import { TEST_DATABASE_URL } from '../helpers/bridge.js';
import { ctx, userInput } from '../store/fixtures.js';

/**
 * The CLI under test is the BUILT one (`node dist/cli.js`, built by `npm test`), run as a child
 * process in a temp directory with a config file pointing at simulators started here and at a
 * store of its own (a SQLite file, or a PostgreSQL database created for the test).
 */

const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const CLI = path.join(appRoot, 'dist', 'cli.js');
export const TOKEN = 'cli-test-scim-token-0123456789';

/** What a CLI run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ...args` in `cwd`; never rejects on a non-zero exit. */
export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...env };
    delete childEnv.SCIM_BRIDGE_CONFIG;
    execFile(process.execPath, [CLI, ...args], { cwd, env: childEnv, timeout: 60_000, maxBuffer: 20 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** Options of {@link startCliEnv}. */
export interface CliEnvOptions {
  types: ConnectorType[];
  /** `sqlite` (a temp file, the default) or `postgres` (a database of its own, dropped on close). */
  store?: 'sqlite' | 'postgres';
  simulator?: SimulatorOptions;
  /** Mapping YAML per type; defaults to the shipped mappings/<type>.yaml. */
  mappings?: Partial<Record<ConnectorType, string>>;
  /** Wraps a simulator before it is served (to record what reaches it). */
  wrap?: Partial<Record<ConnectorType, (simulator: Simulator) => Simulator>>;
  /** Extra settings per connection (limits, sync). */
  connection?: Record<string, unknown>;
  /** Target URL instead of a simulator (no simulator is started): commands that must not call targets. */
  deadTargets?: boolean;
  /** The config's `notify` block. */
  notify?: unknown;
}

/** A temp directory with a config file, simulators and a store the test can seed. */
export interface CliEnv {
  dir: string;
  configFile: string;
  storeUrl: string;
  sims: Map<ConnectorType, RunningSimulator>;
  store: Store;
  /** Runs the CLI with `--config` set. */
  run(...args: string[]): Promise<CliResult>;
  /** Creates a user (with a primary email equal to the userName); returns its id. */
  createUser(connection: ConnectorType, userName: string, extra?: { active?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** Starts the simulators, writes the config and opens the store. */
export async function startCliEnv(options: CliEnvOptions): Promise<CliEnv> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-cli-'));
  const sims = new Map<ConnectorType, RunningSimulator>();
  const connections: Record<string, unknown> = {};
  for (const type of options.types) {
    const simulator = connectorRegistry[type].createSimulator(options.simulator ?? {});
    let url = simulator.targetUrl('http://127.0.0.1:9');
    if (!options.deadTargets) {
      const running = await serveSimulator(options.wrap?.[type]?.(simulator) ?? simulator);
      sims.set(type, running);
      url = running.targetUrl;
    }
    const custom = options.mappings?.[type];
    if (custom !== undefined) writeFileSync(path.join(dir, `${type}.mapping.yaml`), custom);
    connections[type] = {
      type,
      mapping: custom === undefined ? path.join(appRoot, 'mappings', `${type}.yaml`) : `${type}.mapping.yaml`,
      scim: { tokens: [TOKEN] },
      target: { ...simulator.credentials, url },
      limits: { timeoutMs: 5_000, retries: 1 },
      ...options.connection,
    };
  }
  const database = options.store === 'postgres' ? await createDatabase() : null;
  const storeUrl = database?.url ?? `sqlite:${path.join(dir, 'bridge.db')}`;
  const configFile = path.join(dir, 'bridge.yaml');
  writeFileSync(configFile, stringify({ listen: { host: '127.0.0.1', port: 0 }, store: storeUrl, log: { level: 'warn' }, connections, ...(options.notify ? { notify: options.notify } : {}) }));
  const store = createStore(storeUrl);
  await store.migrate();
  let requests = 0;
  return {
    dir,
    configFile,
    storeUrl,
    sims,
    store,
    run: (...args) => runCli([...args, '--config', configFile], dir),
    createUser: async (connection, userName, extra = {}) => {
      const emails = [{ value: userName, type: 'work', primary: true }];
      const input = userInput(userName, { emails, active: extra.active ?? true, attributes: { active: extra.active ?? true } });
      return (await store.createUser(connection, input, ctx(`req-${++requests}`))).id;
    },
    close: async () => {
      await store.close();
      for (const sim of sims.values()) await sim.close();
      await database?.drop();
    },
  };
}

/** A PostgreSQL database of its own (the CLI's config takes a URL; a schema cannot be named there). */
async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cli_${Math.random().toString(36).slice(2, 10)}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** GET a simulator control endpoint (`/_sim/state`, `/_sim/requests`). */
export async function simGet<T = unknown>(sim: RunningSimulator, route: string): Promise<T> {
  const response = await fetch(`${sim.url}/_sim/${route}`);
  return (await response.json()) as T;
}

/** POST to a simulator control endpoint (`/_sim/seed`). */
export async function simPost(sim: RunningSimulator, route: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${sim.url}/_sim/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`/_sim/${route}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

/** Whether a CLI output carries a stack trace. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+:\d+:\d+/.test(text);
}
