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

/** Starts the bridge (the sandbox when asked, or when there is no configuration file) and stops it on a signal. */
export async function serveCommand(options: ServeOptions): Promise<void> {
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
