import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { ConnectorType } from '../../src/connectors/types.js';
import { TEST_DATABASE_URL } from '../helpers/bridge.js';

/** Runs the built bridge (`node dist/cli.js serve`) as a real process, to kill it for real. */

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const RESILIENCE_TOKEN = 'resilience-token-0123456789';

/** A running bridge process. */
export interface BridgeProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Options of {@link writeConfig}. */
export interface ProcessConfigOptions {
  store: string;
  targetUrl: string;
  credentials: Record<string, string>;
  /** The connection's type, also its name (default redis-enterprise). */
  type?: ConnectorType;
  concurrency?: number;
  /** More `limits` of the connection (`requestsPerSecond: 10`), as YAML flow entries. */
  limits?: string;
  /** More `sync` settings of the connection (`guardMinimum: 3`), as YAML flow entries. */
  sync?: string;
  /** More `target` fields (`taskTimeoutMs`). */
  target?: Record<string, string | number>;
  /** The connection's `scim` block as YAML flow (default: the resilience token). */
  scim?: string;
  /** The `http` block as YAML flow (default: no request limit to speak of). */
  http?: string;
  /** Top-level YAML appended as is. */
  extra?: string;
}

/** Writes a config file for one connection (Redis Enterprise unless `type` says otherwise) and returns its path. */
export function writeConfig(options: ProcessConfigOptions): string {
  const type = options.type ?? 'redis-enterprise';
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-res-'));
  const file = path.join(dir, 'bridge.yaml');
  const target = Object.entries({ ...options.credentials, ...options.target, url: options.targetUrl }).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
  const limits = [`concurrency: ${options.concurrency ?? 4}`, 'timeoutMs: 3000', 'retries: 1', ...(options.limits ? [options.limits] : [])].join(', ');
  writeFileSync(
    file,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      `store: ${JSON.stringify(options.store)}`,
      'log: { level: info, format: json }',
      `http: ${options.http ?? '{ requestsPerMinute: 1000000 }'}`,
      'connections:',
      `  ${type}:`,
      `    type: ${type}`,
      `    mapping: ${JSON.stringify(path.join(root, `mappings/${type}.yaml`))}`,
      `    scim: ${options.scim ?? `{ tokens: [${RESILIENCE_TOKEN}] }`}`,
      `    target: { ${target} }`,
      `    limits: { ${limits} }`,
      `    sync: { inlineWaitMs: 0${options.sync ? `, ${options.sync}` : ''} }`,
      options.extra ?? '',
    ].join('\n'),
  );
  return file;
}

/** Runs a CLI command (`approve --connection x`) against a config file; resolves with its exit code and output. */
export async function runCli(args: readonly string[], config: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(root, 'dist/cli.js'), ...args, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** Starts `node dist/cli.js serve --config <file>` and waits for its "listening" line. */
export async function startBridgeProcess(config: string, env: NodeJS.ProcessEnv = {}): Promise<BridgeProcess> {
  const child = spawn(process.execPath, [path.join(root, 'dist/cli.js'), 'serve', '--config', config], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start:\n${output.join('')}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      output.push(text);
      const match = /"message":"scim-bridge started".*?"url":"([^"]+)"/.exec(text) ?? /"url":"([^"]+)".*"message":"scim-bridge started"/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then((code) => reject(new Error(`bridge exited (${String(code)}):\n${output.join('')}`)));
  });
  return {
    url,
    child,
    output,
    exited,
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
      return exited;
    },
  };
}

/** Creates a PostgreSQL schema and returns a store URL that uses it (search_path), plus its drop. */
export async function postgresSchemaUrl(): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = `res_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.end();
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

/** One SCIM request; resolves with the HTTP status (0 when the connection failed) and the body. */
export async function scimRequest(baseUrl: string, method: string, path: string, body: unknown, connection = 'redis-enterprise'): Promise<{ status: number; body: unknown }> {
  try {
    const response = await fetch(`${baseUrl}/scim/v2/${connection}${path}`, {
      method,
      headers: { authorization: `Bearer ${RESILIENCE_TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  } catch {
    return { status: 0, body: null };
  }
}

/** One SCIM create; resolves with the HTTP status (0 when the connection failed). */
export async function scimCreate(baseUrl: string, userName: string, connection = 'redis-enterprise'): Promise<number> {
  const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, emails: [{ value: userName, primary: true, type: 'work' }], active: true };
  return (await scimRequest(baseUrl, 'POST', '/Users', body, connection)).status;
}

/** Runs `tasks` with at most `limit` in flight; bounded by the task count. */
export async function withConcurrency<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  });
  await Promise.all(workers);
}
