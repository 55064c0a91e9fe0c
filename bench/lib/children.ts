import { Pool } from 'undici';
import type { StoreLocation } from './bench-store.js';
import type { BridgeChildConfig } from './bridge-config.js';
import { scimHeaders } from './bridge-config.js';
import { forkChild, type ChildHandle } from './ipc.js';

/** Parent side of the processes a benchmark starts: the bridge, the target simulator, the bare baseline. */

/** A child that serves HTTP at `url`. */
export interface ServerChild extends ChildHandle {
  url: string;
}

async function serverChild(entry: string, env: Record<string, string>, execArgv: readonly string[] = []): Promise<ServerChild> {
  const child = await forkChild(new URL(entry, import.meta.url), env, execArgv);
  return Object.assign(child, { url: (child.ready as { url: string }).url });
}

/**
 * Node's flags for the bridge child: the memory flag of `npm start` and the Docker image
 * (`--max-semi-space-size=8`, docs/operations.md), or `BENCH_BRIDGE_NODE_FLAGS` (space-separated;
 * empty for none) to measure another choice. The child also sets the heap growth `serve` sets,
 * unless `BENCH_HEAP_GROWING=0`.
 */
export function bridgeNodeFlags(): string[] {
  const given = process.env.BENCH_BRIDGE_NODE_FLAGS;
  return given === undefined ? ['--max-semi-space-size=8'] : given.split(' ').filter((flag) => flag !== '');
}

/** Starts the bench bridge in a child process, with {@link bridgeNodeFlags}; resolves once it listens. `env` adds variables. */
export function startBridgeChild(config: BridgeChildConfig, env: Record<string, string> = {}): Promise<ServerChild> {
  return serverChild('./bridge-child.js', { ...env, BENCH_BRIDGE: JSON.stringify(config) }, bridgeNodeFlags());
}

/** Starts the bare express baseline, answering `GET /bare` with `body`. */
export function startBareChild(body: unknown): Promise<ServerChild> {
  return serverChild('./bare-child.js', { BENCH_BARE_BODY: JSON.stringify(body) });
}

/**
 * Starts the floor of a filtered read (bench/lib/floor-child.ts) on the run's store, answering
 * `body`, with the bridge's node flags: it differs from the bridge only in what it does.
 */
export function startFloorChild(config: { store: StoreLocation; connection: string; body: unknown; dir: string }): Promise<ServerChild> {
  return serverChild('./floor-child.js', { BENCH_FLOOR: JSON.stringify(config) }, bridgeNodeFlags());
}

/** A running target simulator. */
export interface SimChild extends ServerChild {
  credentials: Record<string, string>;
}

/** Starts the Redis Enterprise simulator with `latencyMs` added to every target call. */
export async function startSimChild(latencyMs: number): Promise<SimChild> {
  const child = await serverChild('./sim-child.js', { BENCH_SIM_LATENCY_MS: String(latencyMs) });
  return Object.assign(child, { credentials: (child.ready as { credentials: Record<string, string> }).credentials });
}

/** A minimal SCIM client for set-up steps (the measured load goes through `runLoad`). */
export interface ScimCaller {
  send(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/** A SCIM client with the bench token. */
export function scimCaller(origin: string): ScimCaller {
  const pool = new Pool(origin, { connections: 4 });
  return {
    send: async (method, path, body) => {
      const response = await pool.request({ method, path, headers: scimHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.body.text();
      return { status: response.statusCode, body: text === '' ? null : (JSON.parse(text) as unknown) };
    },
    close: () => pool.close(),
  };
}
