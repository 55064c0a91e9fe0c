import { connectorRegistry } from '../connectors/registry.js';
import { serveSimulator } from '../connectors/simulator-kit.js';
import { connectorTypes, type ConnectorType } from '../connectors/types.js';
import { UsageError } from './context.js';

/** `scim-bridge simulate <type>`: one target simulator alone, served at its root. */

/** Options of `scim-bridge simulate`. */
export interface SimulateOptions {
  port: number;
  host: string;
  autoAccept?: number;
}

/** Serves a simulator until SIGTERM or SIGINT; prints its URL, credentials and control API. */
export async function simulateCommand(type: string, options: SimulateOptions): Promise<void> {
  if (!(connectorTypes as readonly string[]).includes(type)) throw new UsageError(`unknown target type "${type}"; expected one of ${connectorTypes.join(', ')}`);
  const simulator = connectorRegistry[type as ConnectorType].createSimulator(options.autoAccept === undefined ? {} : { autoAcceptSeconds: options.autoAccept });
  const running = await serveSimulator(simulator, { host: options.host, port: options.port });
  const credentials = Object.entries(simulator.credentials).map(([k, v]) => `  ${k}: ${v}`);
  process.stdout.write(`${type} simulator: ${running.targetUrl}\n${credentials.join('\n')}\n  control API: ${running.url}/_sim/\n`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
