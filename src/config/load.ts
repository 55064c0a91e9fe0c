import { existsSync } from 'node:fs';
import path from 'node:path';
import { connectorDefinition } from '../connectors/registry.js';
import { BridgeError } from '../errors.js';
import { expandEnv } from './env.js';
import { bridgeConfigSchema, connectionNameIssues, type BridgeConfig, type ConnectionConfig } from './schema.js';
import { formatIssue, readYamlSource, zodIssues, type SourceIssue } from './yaml-source.js';

/** A connection with its target block validated by its connector's schema. */
export interface ResolvedConnection extends ConnectionConfig {
  name: string;
  /** The target block, parsed by the connector type's schema. */
  target: Record<string, unknown> & { url: string };
  /** Absolute path of the mapping file. */
  mappingPath: string;
}

/** A validated configuration, ready for the composition root. */
export interface LoadedConfig {
  config: BridgeConfig;
  connections: ResolvedConnection[];
  /** The file it came from; null for the built-in sandbox. */
  file: string | null;
  /** Every secret value in the configuration, for log redaction. */
  secrets: string[];
}

/** A configuration that cannot be used; `issues` says every problem with its path. */
export class ConfigError extends BridgeError {
  readonly issues: SourceIssue[];
  constructor(issues: SourceIssue[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.issues = issues;
  }
}

/** Where the config file is: `--config`, else `SCIM_BRIDGE_CONFIG`, else `./bridge.yaml`; null when none exists and none was asked for. */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | null {
  const asked = explicit ?? env.SCIM_BRIDGE_CONFIG;
  if (asked !== undefined && asked !== '') return path.resolve(cwd, asked);
  const fallback = path.resolve(cwd, 'bridge.yaml');
  return existsSync(fallback) ? fallback : null;
}

/** Reads, interpolates and validates a config file; throws {@link ConfigError} listing every issue. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, text?: string): LoadedConfig {
  const display = path.relative(process.cwd(), file) || file;
  const { source, issues: syntax } = readYamlSource(display, text ?? undefined);
  if (!source) throw new ConfigError(syntax);
  const expanded = expandEnv(source.value ?? {}, env, display, source.lineOf, { baseDir: path.dirname(file) });
  const parsed = bridgeConfigSchema.safeParse(expanded.value);
  const names = connectionNameIssues(expanded.value).map(([name, message]) => {
    const line = source.lineOf(['connections', name]);
    return { file: display, ...(line !== undefined ? { line } : {}), path: `connections.${name}`, message };
  });
  // An unset variable is one problem: what the schema says about the empty value it left is dropped.
  const unset = new Set(expanded.issues.map((issue) => issue.path));
  const schemaIssues = (list: SourceIssue[]): SourceIssue[] => list.filter((issue) => !unset.has(issue.path));
  const issues = [...expanded.issues, ...names, ...(parsed.success ? [] : schemaIssues(zodIssues(source, parsed.error.issues)))];
  if (!parsed.success || names.length > 0) throw new ConfigError(issues);
  const connections = resolveConnections(parsed.data, path.dirname(file), (name, zodProblems) =>
    issues.push(...schemaIssues(zodIssues(source, zodProblems, ['connections', name, 'target']))),
  );
  if (issues.length > 0) throw new ConfigError(issues);
  return { config: parsed.data, connections, file, secrets: [...expanded.secrets, ...collectSecrets(parsed.data, connections)] };
}

/** Validates each connection's target block with its connector's schema and resolves mapping paths. */
export function resolveConnections(
  config: BridgeConfig,
  baseDir: string,
  report: (name: string, issues: import('zod').z.core.$ZodIssue[]) => void,
): ResolvedConnection[] {
  const resolved: ResolvedConnection[] = [];
  for (const [name, connection] of Object.entries(config.connections)) {
    const result = connectorDefinition(connection.type).targetSchema.safeParse(connection.target);
    if (!result.success) {
      report(name, result.error.issues);
      continue;
    }
    resolved.push({
      ...connection,
      name,
      target: result.data as ResolvedConnection['target'],
      mappingPath: path.resolve(baseDir, connection.mapping ?? `mappings/${connection.type}.yaml`),
    });
  }
  return resolved;
}

/** Every configured secret: tokens, passwords, OAuth client secrets and signing keys, target secret fields, the store password. */
export function collectSecrets(config: BridgeConfig, connections: readonly ResolvedConnection[]): string[] {
  const secrets: string[] = [];
  if (config.http.adminToken) secrets.push(config.http.adminToken);
  secrets.push(...(config.http.tokenSigningKey ?? []));
  const storePassword = passwordOf(config.store);
  if (storePassword) secrets.push(storePassword);
  for (const hook of config.notify?.webhooks ?? []) {
    if (hook.secret) secrets.push(hook.secret);
    // A webhook URL may carry its token (Slack keeps it in the path): the whole URL is a secret in logs.
    secrets.push(hook.url);
  }
  for (const connection of connections) {
    secrets.push(...connection.scim.tokens);
    if (connection.scim.basic) secrets.push(connection.scim.basic.password);
    for (const client of connection.scim.oauth ?? []) secrets.push(client.clientSecret);
    for (const field of connectorDefinition(connection.type).secretFields) {
      const value = connection.target[field];
      if (typeof value === 'string' && value !== '') secrets.push(value);
    }
  }
  return secrets;
}

function passwordOf(storeUrl: string): string | null {
  if (!storeUrl.startsWith('postgres')) return null;
  try {
    const password = decodeURIComponent(new URL(storeUrl).password);
    return password === '' ? null : password;
  } catch {
    return null;
  }
}
