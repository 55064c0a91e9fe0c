import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
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
 * Opens the store a database URL names: `sqlite:./data/bridge.db` (the folder is created),
 * `sqlite::memory:`, or `postgres://` / `postgresql://`. Call `migrate()` before use.
 */
export function createStore(url: string, options: CreateStoreOptions = {}): Store {
  const path = sqlitePathOf(url);
  if (path !== null) {
    if (path === '') throw new BridgeError('CONFIG_INVALID', 'the SQLite URL names no file: use sqlite:./data/bridge.db or sqlite::memory:');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
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
