import { BridgeError, isBridgeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { checkSqliteLocation, describeStoreLocation } from './store-location.js';
import type { Store } from './store.js';

/** Options of {@link createStore}. */
export interface CreateStoreOptions {
  /** PostgreSQL only: a schema of its own, created by `migrate()`. */
  schema?: string;
  logger?: Logger;
}

/** The file (or `:memory:`) a `sqlite:` URL names; null for any other URL. */
export function sqlitePathOf(url: string): string | null {
  if (!/^sqlite:/i.test(url)) return null;
  // `sqlite:///abs/file.db` and `sqlite://./file.db` are accepted as well as `sqlite:./file.db`.
  return url.slice('sqlite:'.length).replace(/^\/\/(?=[/.~]|[A-Za-z]:)/, '');
}

/**
 * Opens the store a database URL names: `sqlite:./data/bridge.db` (the place is checked and the
 * folder created, see store-location.ts), `sqlite::memory:`, or `postgres://` / `postgresql://`.
 * Call `migrate()` before use, or use {@link openMigratedStore}.
 */
export function createStore(url: string, options: CreateStoreOptions = {}): Store {
  const path = sqlitePathOf(url);
  if (path !== null) {
    if (path === '') throw new BridgeError('CONFIG_INVALID', 'the SQLite URL names no file: use sqlite:./data/bridge.db or sqlite::memory:');
    checkSqliteLocation(path, { create: true });
    return new SqliteStore({ path });
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return new PostgresStore({ connectionString: url, ...options });
  }
  // Only the scheme is quoted back: the rest of a URL may hold a password.
  const scheme = /^[A-Za-z][\w+.-]*:/.exec(url)?.[0] ?? '(none)';
  throw new BridgeError(
    'CONFIG_INVALID',
    `unsupported database URL scheme "${scheme.slice(0, 40)}": use sqlite:./data/bridge.db, sqlite::memory: or postgres://user@host:5432/db`,
  );
}

/** Opens the store a URL names and applies its migrations; a failure names the file or the database, never the password. */
export async function openMigratedStore(url: string, options: CreateStoreOptions = {}): Promise<Store> {
  let store: Store | undefined;
  try {
    store = createStore(url, options);
    await store.migrate();
    return store;
  } catch (err) {
    await store?.close().catch(() => undefined);
    throw withLocation(err, url);
  }
}

/** `file is not a database: ./data/x.db`, `the directory database is unavailable (ECONNREFUSED): postgres://scim@db:5432/bridge`. */
function withLocation(err: unknown, url: string): unknown {
  // Location problems and bad URLs already say where.
  if (isBridgeError(err) && err.code === 'CONFIG_INVALID') return err;
  const where = describeStoreLocation(url);
  const message = withoutPassword(err instanceof Error ? err.message : String(err), url);
  if (isBridgeError(err)) return new BridgeError(err.code, `${message}: ${where}`, { kind: err.kind, details: err.details, cause: err });
  return new BridgeError('STORE_UNAVAILABLE', `${message}: ${where}`, { kind: 'permanent', cause: err });
}

function withoutPassword(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return message;
  }
  return password === '' ? message : message.split(password).join('***');
}
