import path from 'node:path';
import { connectorRegistry } from '../connectors/registry.js';
import type { Simulator } from '../connectors/simulator-kit.js';
import { connectorTypes, type ConnectorType } from '../connectors/types.js';
import { collectSecrets, ConfigError, resolveConnections, type LoadedConfig } from './load.js';
import { bridgeConfigSchema } from './schema.js';
import type { SourceIssue } from './yaml-source.js';

/** The SCIM token of every sandbox connection unless SCIM_BRIDGE_SANDBOX_TOKEN says otherwise. */
export const SANDBOX_TOKEN = 'sandbox-token';

/**
 * The credentials the sandbox gives its simulators. They are treated as secrets like any other,
 * so none is a word that also appears in a hostname or path (`admin@sandbox.local`,
 * `/api/v1/sandbox/graphql`): redacting them blanks nothing else.
 */
export const sandboxCredentials: Record<ConnectorType, Record<string, string>> = {
  'redis-cloud': { apiKey: 'sandbox-rc-api-key', apiSecretKey: 'sandbox-rc-secret-key' },
  'redis-enterprise': { password: 'sandbox-re-password' },
  yardstik: { apiKey: 'sandbox-ys-api-key' },
  paradime: { apiKey: 'sandbox-pd-api-key', apiSecret: 'sandbox-pd-api-secret' },
};

/** The sandbox: its configuration and one in-process simulator per target type. */
export interface Sandbox {
  loaded: LoadedConfig;
  simulators: Map<ConnectorType, Simulator>;
}

/**
 * `npm start` with no configuration: the bridge on 127.0.0.1 (PORT, default 8080), SQLite at
 * ./data/sandbox.db, one connection per target type named after it, each wired to its simulator
 * mounted at /sandbox/<type> with {@link sandboxCredentials} and the shipped mapping.
 */
export function buildSandbox(env: NodeJS.ProcessEnv, cwd: string, appRoot: string): Sandbox {
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  const token = env.SCIM_BRIDGE_SANDBOX_TOKEN || SANDBOX_TOKEN;
  const origin = `http://127.0.0.1:${port}`;
  const simulators = new Map<ConnectorType, Simulator>();
  const connections: Record<string, unknown> = {};
  const autoAcceptSeconds = env.SCIM_BRIDGE_SANDBOX_AUTO_ACCEPT === undefined ? 1 : Number(env.SCIM_BRIDGE_SANDBOX_AUTO_ACCEPT);
  for (const type of connectorTypes) {
    const simulator = connectorRegistry[type].createSimulator({ autoAcceptSeconds, credentials: sandboxCredentials[type] });
    simulators.set(type, simulator);
    connections[type] = {
      type,
      scim: { tokens: [token] },
      mapping: path.join(appRoot, 'mappings', `${type}.yaml`),
      target: { ...simulator.credentials, url: simulator.targetUrl(`${origin}/sandbox/${type}`) },
      limits: { timeoutMs: 10_000 },
    };
  }
  const parsed = bridgeConfigSchema.safeParse({
    listen: { host: '127.0.0.1', port },
    store: `sqlite:${path.join(cwd, 'data', 'sandbox.db')}`,
    log: { level: env.LOG_LEVEL ?? 'info' },
    connections,
  });
  const issues: SourceIssue[] = [];
  const report = (where: string, messages: string[]): void => {
    for (const message of messages) issues.push({ file: '(sandbox)', path: where, message });
  };
  if (!parsed.success) {
    report('(sandbox)', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    throw new ConfigError(issues);
  }
  const resolved = resolveConnections(parsed.data, cwd, (name, problems) => report(`connections.${name}.target`, problems.map((p) => p.message)));
  if (issues.length > 0) throw new ConfigError(issues);
  const secrets = [token, ...collectSecrets(parsed.data, resolved)];
  return { loaded: { config: parsed.data, connections: resolved, file: null, secrets }, simulators };
}
