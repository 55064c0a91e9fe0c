import { existsSync } from 'node:fs';
import { copyStore, type TableCopy } from '../directory/copy.js';
import { createStore, sqlitePathOf } from '../directory/create-store.js';
import type { Store } from '../directory/store.js';
import { BridgeError, isBridgeError } from '../errors.js';
import { createLogger, redact, type Logger } from '../logging/logger.js';
import { plural, processIo, UsageError, type CliIo } from './context.js';
import { formatDuration, renderTable } from './format.js';

/**
 * `scim-bridge copy-store`: copies a whole store into an empty one (SQLite → PostgreSQL, or any
 * other direction), keeping the SCIM ids, versions, timestamps, jobs and sync states, so the
 * IdP's connection (Okta keeps the ids it was given) carries on against the new store. Both
 * stores are migrated first; the bridge must be stopped, since the source must not change: both
 * stores are locked for the copy (store-lock.ts), and a store a bridge serves is refused, naming
 * the bridge's pid and host.
 */

/** Options of `scim-bridge copy-store`. */
export interface CopyStoreOptions {
  from: string;
  to: string;
}

/** Shown after `--help`, and said again when the command runs. */
export const copyStoreNotes = `
Stop the bridge (every replica) first: the source must not change during the copy.
copy-store refuses a store a running bridge holds, and names its pid and host; no
bridge can start on either store while the copy runs. Back the source up first. The destination must hold no rows; everything is copied in
one transaction, so a failure leaves it empty. Passwords in the URLs are never printed.

Example:
  scim-bridge copy-store --from sqlite:./data/bridge.db --to postgres://scim_bridge:…@db.internal:5432/scim_bridge
`;

/** Runs `scim-bridge copy-store`; returns the exit code. Problems are thrown without the URLs' passwords. */
export async function copyStoreCommand(options: CopyStoreOptions, io: CliIo = processIo): Promise<number> {
  const secrets = [...passwordsOf(options.from), ...passwordsOf(options.to)];
  try {
    return await copy(options, io, secrets);
  } catch (err) {
    throw withoutSecrets(err, secrets);
  }
}

async function copy(options: CopyStoreOptions, io: CliIo, secrets: string[]): Promise<number> {
  if (options.from === options.to) throw new UsageError('--from and --to name the same store');
  const sourcePath = sqlitePathOf(options.from);
  // Opening a missing SQLite file would create an empty one and copy nothing.
  if (sourcePath !== null && sourcePath !== ':memory:' && !existsSync(sourcePath)) throw new UsageError(`--from: no SQLite database at ${sourcePath}`);
  const logger = createLogger({ level: process.env.LOG_LEVEL || 'warn', format: process.stderr.isTTY ? 'pretty' : 'json', secrets, stream: process.stderr });
  io.stdout.write(`copying ${maskStoreUrl(options.from)} → ${maskStoreUrl(options.to)}\n`);
  const started = Date.now();
  const source = await openMigrated(options.from, logger, '--from');
  try {
    await lockForCopy(source, '--from');
    const destination = await openMigrated(options.to, logger, '--to');
    try {
      await lockForCopy(destination, '--to');
      const copied = await copyStore(source, destination);
      io.stdout.write(renderSummary(copied, Date.now() - started, maskStoreUrl(options.to)));
      return 0;
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}

/** Locks a store for the copy (closing it releases the lock), or refuses naming who holds it. */
async function lockForCopy(store: Store, option: '--from' | '--to'): Promise<void> {
  try {
    await store.lock('copy-store');
  } catch (err) {
    if (!isBridgeError(err) || err.code !== 'STORE_LOCKED') throw err;
    const what = option === '--from' ? 'the source must not change during the copy' : 'the destination must not be written during the copy';
    throw new BridgeError('STORE_LOCKED', `${option}: ${err.message}: stop that bridge (every replica) first, ${what}; nothing was copied`, { details: err.details, cause: err });
  }
}

/** Opens a store and applies its migrations; names the option in the error when it cannot. */
async function openMigrated(url: string, logger: Logger, option: '--from' | '--to'): Promise<Store> {
  const store = createStore(url, { logger });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    if (isBridgeError(err)) throw new BridgeError(err.code, `${option}: ${err.message}`, { cause: err });
    throw new UsageError(`${option}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return store;
}

/** Rows per table, then what to do next. */
function renderSummary(copied: readonly TableCopy[], ms: number, destination: string): string {
  const total = copied.reduce((sum, c) => sum + c.rows, 0);
  const table = renderTable(['TABLE', 'ROWS'], copied.map((c) => [c.table, String(c.rows)]), new Set([1]));
  return (
    `${table}copied ${plural(total, 'row')} in ${formatDuration(ms)} into ${destination}\n` +
    'next: point "store" in the configuration at the destination, run "scim-bridge validate", then start the bridge\n'
  );
}

/** A store URL fit to print: its password replaced by `***`. */
export function maskStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^/:@]*):[^@/]*@/, '//$1:***@');
  }
}

/** The password of a URL, as written and percent-decoded. */
function passwordsOf(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password === '' ? [] : [...new Set([password, decodeURIComponent(password)])];
  } catch {
    const password = /\/\/[^/:@]*:([^@/]+)@/.exec(url)?.[1];
    return password === undefined ? [] : [password];
  }
}

/** The same problem, its message without any password (drivers may quote a URL back). */
function withoutSecrets(err: unknown, secrets: readonly string[]): unknown {
  if (!(err instanceof Error) || !secrets.some((secret) => err.message.includes(secret))) return err;
  const message = redact(err.message, secrets) as string;
  if (isBridgeError(err)) return new BridgeError(err.code, message, { kind: err.kind });
  return err instanceof UsageError ? new UsageError(message) : new Error(message);
}
