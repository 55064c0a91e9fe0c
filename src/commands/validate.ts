import path from 'node:path';
import { ConfigError, type LoadedConfig } from '../config/load.js';
import { namedWebhooks } from '../config/notify-schema.js';
import { readYamlSource } from '../config/yaml-source.js';
import { sqlitePathOf } from '../directory/create-store.js';
import { checkSqliteLocation } from '../directory/store-location.js';
import { isBridgeError, toBridgeError } from '../errors.js';
import { createSilentLogger } from '../logging/logger.js';
import { buildSyncConnections, loadMappings } from '../sync/build.js';
import { describeSource, loadConfiguration, processIo, type CliIo } from './context.js';
import { renderTable } from './format.js';

/**
 * `scim-bridge validate`: the configuration and every connection's mapping file, checked the
 * way `serve` checks them; with `--check-targets`, also each target's credentials (one cheap
 * read per connection). Problems are printed as `file:line path: message` (by the caller).
 */

/** Options of `scim-bridge validate`. */
export interface ValidateOptions {
  config?: string;
  checkTargets?: boolean;
}

/** Runs `scim-bridge validate`; throws ConfigError (every issue) when the files are wrong; returns the exit code. */
export async function validateCommand(options: ValidateOptions, io: CliIo = processIo): Promise<number> {
  const { loaded } = loadConfiguration(options.config);
  loadMappings(loaded.connections);
  checkStoreLocation(loaded);
  const rows = loaded.connections.map((c) => [c.name, c.type, c.mode, displayPath(c.mappingPath)]);
  io.stdout.write(`configuration OK: ${describeSource(loaded)}\n${renderTable(['CONNECTION', 'TYPE', 'MODE', 'MAPPING'], rows)}`);
  const webhooks = namedWebhooks(loaded.config.notify);
  if (webhooks.length > 0) {
    // Receivers by origin only: the URL may hold a token.
    const hooks = webhooks.map((h) => [h.name, new URL(h.url).origin, h.format, h.secret ? 'yes' : 'no', h.events.join(',')]);
    io.stdout.write(`\n${renderTable(['WEBHOOK', 'RECEIVER', 'FORMAT', 'SIGNED', 'EVENTS'], hooks)}`);
  }
  if (!options.checkTargets) return 0;
  const connections = buildSyncConnections(loaded.connections, { logger: createSilentLogger() });
  let isOk = true;
  for (const connection of connections) {
    try {
      const access = await connection.connector.checkAccess({ signal: AbortSignal.timeout(15_000) });
      isOk &&= access.ok;
      const who = access.identity ? ` as ${access.identity}` : '';
      io.stdout.write(`target ${connection.name}: ${access.ok ? `reachable${who}` : `PROBLEM${who}: ${access.problems.join('; ')}`}\n`);
      if (access.ok && connection.roles) {
        // The role model `assigned: roles` rules are checked against, as the IdP will see it at /Roles.
        const { roles } = await connection.roles.refresh({ signal: AbortSignal.timeout(15_000) });
        const shown = roles.slice(0, 8).map((r) => r.id).join(', ');
        io.stdout.write(`target ${connection.name}: ${roles.length} roles published at /Roles (${shown}${roles.length > 8 ? ', ...' : ''})\n`);
      }
    } catch (err) {
      isOk = false;
      const error = toBridgeError(err);
      io.stdout.write(`target ${connection.name}: PROBLEM: ${error.message} (${error.code})\n`);
    } finally {
      await connection.connector.close().catch(() => undefined);
    }
  }
  return isOk ? 0 : 1;
}

/** A SQLite store needs a usable place (nothing is created here): a problem is reported on the `store` line. */
function checkStoreLocation(loaded: LoadedConfig): void {
  const file = sqlitePathOf(loaded.config.store);
  if (file === null) return;
  try {
    checkSqliteLocation(file, { create: false });
  } catch (err) {
    if (!isBridgeError(err)) throw err;
    const display = describeSource(loaded);
    const line = loaded.file ? readYamlSource(loaded.file).source?.lineOf(['store']) : undefined;
    throw new ConfigError([{ file: display, ...(line !== undefined ? { line } : {}), path: 'store', message: err.message }]);
  }
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
