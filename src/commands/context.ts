import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile, resolveConfigPath, type LoadedConfig, type ResolvedConnection } from '../config/load.js';
import { buildSandbox, type Sandbox } from '../config/sandbox.js';
import { formatIssue, type SourceIssue } from '../config/yaml-source.js';
import { openMigratedStore } from '../directory/create-store.js';
import type { Store } from '../directory/store.js';
import { isBridgeError } from '../errors.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { MappingError } from '../mapping/load.js';

/**
 * What every command shares: where its output goes, how the configuration is found, the logger
 * (stderr, so stdout stays clean for `--json` and `--jsonl`), the store, and how a problem is
 * printed (every issue with its file and line, never a stack trace).
 */

/** The repository (or package) root: mappings/ lives there. dist/commands/*.js → two levels up. */
export const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a command writes: stdout for results, stderr for logs and problems. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
}

/** The process's own streams. */
export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** A problem with how a command was called (unknown connection, bad option): printed without a code. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The configuration a command runs with; `sandbox` when no file was found. */
export interface Configuration {
  loaded: LoadedConfig;
  sandbox?: Sandbox;
}

/** Finds and loads the configuration: `--config`, else SCIM_BRIDGE_CONFIG, else ./bridge.yaml, else the sandbox. */
export function loadConfiguration(configPath: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Configuration {
  const file = resolveConfigPath(configPath, env, cwd);
  if (file) return { loaded: loadConfigFile(file, env) };
  const sandbox = buildSandbox(env, cwd, appRoot);
  return { loaded: sandbox.loaded, sandbox };
}

/** The connections a command works on: all, or the one `--connection` names. */
export function selectConnections(loaded: LoadedConfig, name: string | undefined): ResolvedConnection[] {
  if (name === undefined) return loaded.connections;
  const found = loaded.connections.find((c) => c.name === name);
  if (!found) throw new UsageError(`no connection "${name}" in ${describeSource(loaded)}; connections: ${loaded.connections.map((c) => c.name).join(', ')}`);
  return [found];
}

/** `bridge.yaml` or `the sandbox configuration`. */
export function describeSource(loaded: LoadedConfig): string {
  return loaded.file ? path.relative(process.cwd(), loaded.file) || loaded.file : 'the sandbox configuration';
}

/** The logger of a command: to stderr, warnings and errors unless LOG_LEVEL says otherwise, secrets redacted. */
export function createCommandLogger(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Logger {
  return createLogger({
    level: env.LOG_LEVEL || 'warn',
    format: loaded.config.log.format ?? (process.stderr.isTTY ? 'pretty' : 'json'),
    secrets: loaded.secrets,
    stream: process.stderr,
  });
}

/** Opens and migrates the configured store (an error names the file or the database). */
export function openStore(loaded: LoadedConfig, logger: Logger): Promise<Store> {
  return openMigratedStore(loaded.config.store, { logger });
}

/** What a store-only command (status, approve, audit) works with. */
export interface StoreContext {
  loaded: LoadedConfig;
  connections: ResolvedConnection[];
  store: Store;
}

/** Loads the configuration, selects the connections, opens the store, runs `fn`, closes the store. No target is called. */
export async function withStore<T>(options: { config?: string; connection?: string }, fn: (context: StoreContext) => Promise<T>): Promise<T> {
  const { loaded } = loadConfiguration(options.config);
  const connections = selectConnections(loaded, options.connection);
  const store = await openStore(loaded, createCommandLogger(loaded));
  try {
    return await fn({ loaded, connections, store });
  } finally {
    await store.close();
  }
}

/** Prints a problem the way an operator wants it (issues with file:line, no stack trace); returns the exit code. */
export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof ConfigError || err instanceof MappingError) {
    const what = err instanceof ConfigError ? 'configuration or mapping' : 'mapping';
    io.stderr.write(`scim-bridge: invalid ${what} (${plural(err.issues.length, 'problem')}):\n${formatIssues(err.issues)}`);
  } else if (err instanceof UsageError) {
    io.stderr.write(`scim-bridge: ${err.message}\n`);
  } else if (isBridgeError(err)) {
    io.stderr.write(`scim-bridge: ${err.message} (${err.code})\n`);
  } else {
    io.stderr.write(`scim-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  return 1;
}

/** One `file:line path: message` line per issue. */
export function formatIssues(issues: readonly SourceIssue[]): string {
  return issues.map((issue) => `  ${formatIssue(issue)}\n`).join('');
}

/** `1 user`, `3 users`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
