import { setFlagsFromString } from 'node:v8';
import type { LoadedConfig } from '../config/load.js';
import { buildSandbox } from '../config/sandbox.js';
import { startBridge } from '../main.js';
import { appRoot, loadConfiguration, type Configuration } from './context.js';

/** `scim-bridge serve` and `scim-bridge sandbox`: run the bridge until SIGTERM or SIGINT. */

/** Options of `scim-bridge serve`. */
export interface ServeOptions {
  config?: string;
  /** Run the sandbox even when a configuration file exists. */
  sandbox?: boolean;
}

/** V8's heap growth for a serving bridge: the next full collection once the heap is half again what it held after the last. */
export const HEAP_GROWING_FLAG = '--heap-growing-percent=50';

/**
 * Keeps the serving process's heap near what it holds (docs/operations.md, "Memory"). V8 lets the
 * old generation grow to up to four times its live size before a full collection; the bridge
 * holds about 30 MiB and turns over its pages' garbage, so an Okta import of 100,000 users left
 * 185 MiB resident, almost all of it collectable. With growth capped at half the live size (and
 * node's --max-semi-space-size=8), it stays under 150 MiB for a few percent more CPU per request
 * (BENCHMARKS.md). V8 reads the flag at
 * every collection, so it is set here, at start; an unknown flag is ignored by
 * `setFlagsFromString`, so a Node without it starts as before. A `--heap-growing-percent` given
 * to node on the command line wins. Returns the flag set, or null.
 */
export function favourSmallHeap(execArgv: readonly string[] = process.execArgv): string | null {
  if (execArgv.some((flag) => flag.replace(/_/g, '-').startsWith('--heap-growing-percent'))) return null;
  setFlagsFromString(HEAP_GROWING_FLAG);
  return HEAP_GROWING_FLAG;
}

/** Starts the bridge (the sandbox when asked, or when there is no configuration file) and stops it on a signal. */
export async function serveCommand(options: ServeOptions): Promise<void> {
  favourSmallHeap();
  const { loaded, sandbox }: Configuration = options.sandbox
    ? (() => {
        const built = buildSandbox(process.env, process.cwd(), appRoot);
        return { loaded: built.loaded, sandbox: built };
      })()
    : loadConfiguration(options.config);
  const bridge = await startBridge(loaded, sandbox ? { simulators: sandbox.simulators } : {});
  // startBridge has logged "scim-bridge started" with the URL, connections, store and config.
  if (sandbox) printSandbox(bridge.url, loaded);
  const stop = (signal: string): void => {
    bridge.logger.info('shutting down', { signal });
    bridge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function printSandbox(url: string, loaded: LoadedConfig): void {
  const token = loaded.connections[0]?.scim.tokens[0] ?? '';
  const lines = [
    '',
    'scim-bridge sandbox (no configuration file found)',
    ...loaded.connections.map((c) => `  ${c.name.padEnd(17)} SCIM base URL: ${url}/scim/v2/${c.name}   target: ${url}/sandbox/${c.type}`),
    `  SCIM bearer token: ${token}`,
    `  try: curl -H "Authorization: Bearer ${token}" ${url}/scim/v2/redis-cloud/Users`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
