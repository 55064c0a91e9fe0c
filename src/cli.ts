#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile, resolveConfigPath, type LoadedConfig } from './config/load.js';
import { buildSandbox, type Sandbox } from './config/sandbox.js';
import { connectorRegistry } from './connectors/registry.js';
import { serveSimulator } from './connectors/simulator-kit.js';
import { connectorTypes, type ConnectorType } from './connectors/types.js';
import { isBridgeError } from './errors.js';
import { startBridge } from './main.js';

/** The `scim-bridge` command line. */

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Prints a problem without a stack trace and exits non-zero. */
function fail(err: unknown): never {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if (isBridgeError(err)) process.stderr.write(`scim-bridge: ${err.message} (${err.code})\n`);
  else process.stderr.write(`scim-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/** The configuration to run: the file, or the sandbox when there is none. */
function loadOrSandbox(configPath: string | undefined): { loaded: LoadedConfig; sandbox?: Sandbox } {
  const file = resolveConfigPath(configPath, process.env, process.cwd());
  if (file) return { loaded: loadConfigFile(file) };
  const sandbox = buildSandbox(process.env, process.cwd(), appRoot);
  return { loaded: sandbox.loaded, sandbox };
}

async function serve(options: { config?: string; sandbox?: boolean }): Promise<void> {
  const { loaded, sandbox } = options.sandbox
    ? (() => {
        const built = buildSandbox(process.env, process.cwd(), appRoot);
        return { loaded: built.loaded, sandbox: built };
      })()
    : loadOrSandbox(options.config);
  const bridge = await startBridge(loaded, sandbox ? { simulators: sandbox.simulators } : {});
  const names = loaded.connections.map((c) => c.name);
  bridge.logger.info('scim-bridge listening', { url: bridge.url, connections: names, store: loaded.config.store.split(':')[0], config: loaded.file ?? 'sandbox' });
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

async function simulate(type: string, options: { port: number; host: string; autoAccept?: number }): Promise<void> {
  if (!(connectorTypes as readonly string[]).includes(type)) throw new Error(`unknown target type "${type}"; expected one of ${connectorTypes.join(', ')}`);
  const simulator = connectorRegistry[type as ConnectorType].createSimulator(options.autoAccept === undefined ? {} : { autoAcceptSeconds: options.autoAccept });
  const running = await serveSimulator(simulator, { host: options.host, port: options.port });
  const credentials = Object.entries(simulator.credentials).map(([k, v]) => `  ${k}: ${v}`);
  process.stdout.write(`${type} simulator: ${running.targetUrl}\n${credentials.join('\n')}\n  control API: ${running.url}/_sim/\n`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function validate(options: { config?: string }): void {
  const { loaded } = loadOrSandbox(options.config);
  process.stdout.write(`configuration OK (${loaded.file ?? 'sandbox'}): ${loaded.connections.map((c) => `${c.name} (${c.type})`).join(', ')}\n`);
}

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const program = new Command('scim-bridge').description('SCIM 2.0 bridge for applications without SCIM').showHelpAfterError();
program
  .command('serve', { isDefault: true })
  .description('run the bridge (the sandbox when no configuration file exists)')
  .option('-c, --config <file>', 'configuration file (else SCIM_BRIDGE_CONFIG, else ./bridge.yaml)')
  .action((options: { config?: string }) => serve(options).catch(fail));
program
  .command('sandbox')
  .description('run the sandbox: one connection per target type, each with an in-process simulator')
  .action(() => serve({ sandbox: true }).catch(fail));
program
  .command('simulate <type>')
  .description(`run one target simulator alone (${connectorTypes.join(', ')})`)
  .option('-p, --port <port>', 'port', integer, 0)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--auto-accept <seconds>', 'accept invitations (Redis Cloud, Paradime) this long after they are sent', integer)
  .action((type: string, options: { port: number; host: string; autoAccept?: number }) => simulate(type, options).catch(fail));
program
  .command('validate')
  .description('check the configuration and mapping files')
  .option('-c, --config <file>', 'configuration file')
  .action((options: { config?: string }) => {
    try {
      validate(options);
    } catch (err) {
      fail(err);
    }
  });

await program.parseAsync(process.argv);
