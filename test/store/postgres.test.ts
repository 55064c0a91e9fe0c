import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/directory/create-store.js';
import { PostgresStore } from '../../src/directory/postgres/postgres-store.js';
import { postgresDialect } from '../../src/directory/sql/dialect.js';
import { claimParts } from '../../src/directory/sql/job-ops.js';
import { sql } from '../../src/directory/sql/sql.js';
import { rows } from '../../src/directory/sql/tx.js';
import type { Store } from '../../src/directory/store.js';
import { ctx, expectCode, newConnection, userInput } from './fixtures.js';
import { runStoreSuite } from './store-suite.js';

// CI has PostgreSQL: an unreachable server fails this file, it never skips it.
const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
const extraSchema = `${schema}_m`;
const optionsSchema = `${schema}_o`;
const pathSchemas = [`${schema}_a`, `${schema}_b`] as const;

afterAll(async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS "${extraSchema}" CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS "${optionsSchema}" CASCADE`);
    for (const name of pathSchemas) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
});

runStoreSuite('postgres', () => createStore(url, { schema }));

describe('postgres specifics', () => {
  it('migrates a new schema from several replicas at once', async () => {
    const stores: Store[] = Array.from({ length: 4 }, () => createStore(url, { schema: extraSchema }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const user = await stores[0]!.createUser(newConnection(), userInput('m@example.com'), ctx());
      expect(user.version).toBe(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps its own schema when the URL already sets options (they are combined, not replaced)', async () => {
    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c statement_timeout=60000');
    const store = createStore(withOptions.toString(), { schema: optionsSchema });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await store.migrate();
      await store.createUser(newConnection(), userInput('o@example.com'), ctx());
      const found = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [optionsSchema, 'users']);
      expect(found.rows[0]?.n).toBe('1');
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('keys the reconcile lock by the schema the store lives in, however its search_path is spelled', async () => {
    const [a, b] = pathSchemas;
    // The configuration names a schema only in the URL: `?options=-c search_path=...` (docs/operations.md).
    const inPath = (searchPath: string): string => {
      const withPath = new URL(url);
      withPath.searchParams.set('options', `-c search_path=${searchPath}`);
      return withPath.toString();
    };
    const byOption = createStore(url, { schema: a });
    const other = createStore(url, { schema: b });
    const urlA = createStore(inPath(a));
    const urlAQuoted = createStore(inPath(`"${a}",public`));
    const urlB = createStore(inPath(b));
    try {
      await byOption.migrate();
      await other.migrate();
      const held = await urlA.withExclusiveLock('reconcile:c', async () => {
        // The same schema, named by the store's option or another spelling of the path: one lock.
        expect(await byOption.withExclusiveLock('reconcile:c', async () => 'option')).toBeUndefined();
        expect(await urlAQuoted.withExclusiveLock('reconcile:c', async () => 'quoted')).toBeUndefined();
        // Another schema in the same database: a bridge of its own, never blocked by this one.
        expect(await urlB.withExclusiveLock('reconcile:c', async () => 'b')).toBe('b');
        return 'a';
      });
      expect(held).toBe('a');
    } finally {
      await Promise.all([byOption, other, urlA, urlAQuoted, urlB].map((s) => s.close()));
    }
  });

  it('refuses a URL whose search_path names no existing schema, with a message that says so', async () => {
    const missing = new URL(url);
    missing.searchParams.set('options', `-c search_path=scim_bridge_absent_${process.pid}`);
    const store = createStore(missing.toString());
    try {
      const err = await store.migrate().then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('search_path') });
      await expect(store.withExclusiveLock('reconcile:c', async () => 'ran')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      await store.close();
    }
  });

  it('prepares each statement once per connection and reuses it (the server plans it once, not per request)', async () => {
    const store = new PostgresStore({ connectionString: url, schema, maxConnections: 1 });
    try {
      await store.migrate();
      const connection = newConnection();
      const user = await store.createUser(connection, userInput('p@example.com'), ctx());
      await store.getUser(connection, user.id);
      const prepared = await store.preparedStatementCount();
      expect(prepared).toBeGreaterThan(0);
      // Five more reads of one user reuse the statement prepared by the first.
      for (let i = 0; i < 5; i++) expect((await store.getUser(connection, user.id))?.id).toBe(user.id);
      expect(await store.preparedStatementCount()).toBe(prepared);
    } finally {
      await store.close();
    }
  });

  it('counts and cuts a list page in one snapshot: a user created between the two does not shift a page cut from the end', async () => {
    const store = new PostgresStore({ connectionString: url, schema });
    const other = new PostgresStore({ connectionString: url, schema });
    try {
      await store.migrate();
      await other.migrate();
      const connection = newConnection();
      for (let i = 0; i < 10; i++) await store.createUser(connection, userInput(`s${i}@example.com`), ctx());
      const listed = (await store.listUsers(connection, { startIndex: 1, count: 10 })).records.map((u) => u.userName);
      // Another replica creates a user right after this store has counted the list.
      const internals = store as unknown as { execute: (client: unknown, statement: { query: unknown }) => Promise<unknown> };
      const execute = internals.execute.bind(store);
      let isCreated = false;
      internals.execute = async (client, statement) => {
        const result = await execute(client, statement);
        if (!isCreated && JSON.stringify(statement.query).includes('count(*) AS total')) {
          isCreated = true;
          await other.createUser(connection, userInput('late@example.com'), ctx());
        }
        return result;
      };
      // The last two of ten: past the middle, so cut from the end of the list.
      const page = await store.listUsers(connection, { startIndex: 9, count: 2 });
      expect(isCreated).toBe(true);
      expect(page).toMatchObject({ totalResults: 10 });
      expect(page.records.map((u) => u.userName)).toEqual(listed.slice(8));
      expect((await store.listUsers(connection, { startIndex: 9, count: 5 })).records.map((u) => u.userName)).toEqual([...listed.slice(8), 'late@example.com']);
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('claims the first due jobs through an index in queue order, without statistics (a queue filled faster than autovacuum analyzes it)', async () => {
    // Without statistics PostgreSQL takes `held_reason IS NULL` as matching 0.5% of rows, so it
    // read and sorted every due job on each claim (a bitmap scan, which never marks the deleted
    // jobs' index entries dead either): O(queue) per claim, 2-4 ms with 3,000 jobs.
    const planSchema = `${schema}_q`;
    const store = new PostgresStore({ connectionString: url, schema: planSchema, maxConnections: 1 });
    try {
      await store.migrate();
      const connection = newConnection();
      for (let i = 0; i < 3000; i++) await store.createUser(connection, userInput(`q${i}@example.com`), ctx());
      const { due } = claimParts(postgresDialect, connection, { limit: 4, workerId: 'w', leaseMs: 60_000 });
      const plan = (await store.readRaw(() => rows(sql`EXPLAIN (COSTS OFF) ${due}`))).map((row) => String(row['QUERY PLAN'])).join('\n');
      expect(plan).toMatch(/Index Scan using sync_jobs_\w+_idx on sync_jobs/);
      expect(plan).not.toMatch(/Sort|Bitmap/);
    } finally {
      await store.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${planSchema}" CASCADE`).finally(() => client.end());
    }
  });

  it('raises STORE_UNAVAILABLE (transient) when the server is unreachable', async () => {
    const store = createStore('postgres://postgres@127.0.0.1:1/test');
    try {
      const err = await expectCode(store.ping(), 'STORE_UNAVAILABLE');
      expect(err.kind).toBe('transient');
      await expectCode(store.createUser('c', userInput('x@example.com'), ctx()), 'STORE_UNAVAILABLE');
    } finally {
      await store.close();
    }
  });
});
