import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createStore } from '../../src/directory/create-store.js';
import { PostgresStore } from '../../src/directory/postgres/postgres-store.js';
import type { Store } from '../../src/directory/store.js';
import { DATABASE_URL, safeUrl, type StoreKind } from './run-info.js';

/**
 * The store a run measures: a fresh SQLite file in a temp folder, or a PostgreSQL schema of
 * its own. `dispose` removes both (the schema is dropped, the folder deleted).
 */

/** Where a bridge child finds the store (`createStore(url, { schema })`). */
export interface StoreLocation {
  url: string;
  schema?: string;
}

/** A store prepared for one run. */
export interface BenchStore {
  readonly kind: StoreKind;
  readonly location: StoreLocation;
  /** A temp folder of the run (SQLite file, bridge logs, mapping files). */
  readonly dir: string;
  /**
   * Opens the store from this process, for seeding: on PostgreSQL with `connections` pooled
   * clients and `synchronous_commit = off` for these sessions only (the bridge under test keeps
   * the server's default); fixture data need not wait for an fsync per user.
   */
  open(connections?: number): Promise<Store>;
  /**
   * Planner statistics for the seeded tables, as a running server has them: on PostgreSQL an
   * ANALYZE of the run's schema (autovacuum would do it within a minute of the seeding; without
   * it the planner can take the wrong partial index for `userName eq`); on SQLite nothing, as the
   * store itself runs `PRAGMA optimize` every 1,000 writes.
   */
  analyze(): Promise<void>;
  /** Runs statements on the store from a connection of its own (PostgreSQL: in the run's schema). */
  execute(statements: readonly string[]): Promise<void>;
  /** Database name and version, for the header. */
  describe(): Promise<string>;
  dispose(): Promise<void>;
}

/** Prepares a fresh store of the given kind. */
export function prepareBenchStore(kind: StoreKind): BenchStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-bench-'));
  if (kind === 'sqlite') {
    const file = path.join(dir, 'bench.db');
    return {
      kind,
      dir,
      location: { url: `sqlite:${file}` },
      open: async () => {
        const store = createStore(`sqlite:${file}`);
        await store.migrate();
        return store;
      },
      analyze: async () => undefined,
      execute: async (statements) => {
        const db = new Database(file);
        try {
          for (const statement of statements) db.exec(statement);
        } finally {
          db.close();
        }
      },
      describe: async () => `SQLite ${sqliteVersion()} (better-sqlite3, WAL, synchronous=NORMAL), file in ${dir}`,
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `bench_${Math.random().toString(36).slice(2, 10)}`;
  return {
    kind,
    dir,
    location: { url: DATABASE_URL, schema },
    open: async (connections = 10) => {
      await onPostgres((client) => client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`));
      const url = new URL(DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${schema} -c synchronous_commit=off`);
      const store = new PostgresStore({ connectionString: url.toString(), maxConnections: connections });
      await store.migrate();
      return store;
    },
    analyze: async () => {
      await onPostgres(async (client) => {
        const tables = await client.query<{ name: string }>('SELECT tablename AS name FROM pg_tables WHERE schemaname = $1', [schema]);
        for (const { name } of tables.rows) await client.query(`ANALYZE "${schema}"."${name}"`);
      });
    },
    execute: async (statements) => {
      await onPostgres(async (client) => {
        await client.query(`SET search_path = "${schema}"`);
        for (const statement of statements) await client.query(statement);
      });
    },
    describe: async () => `${await postgresVersion()} at ${safeUrl(DATABASE_URL)}, schema ${schema} (dropped at the end)`,
    dispose: async () => {
      await onPostgres((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return String((db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v);
  } finally {
    db.close();
  }
}

async function postgresVersion(): Promise<string> {
  const result = await onPostgres((client) => client.query<{ v: string }>("SELECT current_setting('server_version') AS v"));
  return `PostgreSQL ${result.rows[0]?.v ?? '?'} (pg, pool of 10 in the bridge)`;
}

async function onPostgres<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
