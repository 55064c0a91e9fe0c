import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseFilter } from '../../src/filter/index.js';
import { createStore } from '../../src/directory/create-store.js';
import { userInput, ctx, expectCode, newConnection } from './fixtures.js';
import { SqliteStore } from '../../src/directory/sqlite/sqlite-store.js';
import { BACKSTOP_PAGES, DEFAULT_PAGES, RESTART_FRAMES, WalCheckpointer } from '../../src/directory/sqlite/checkpointer.js';
import { raw, sql } from '../../src/directory/sql/sql.js';
import { sqliteDialect } from '../../src/directory/sql/dialect.js';
import { claimParts } from '../../src/directory/sql/job-ops.js';
import { rows } from '../../src/directory/sql/tx.js';
import { runStoreSuite } from './store-suite.js';

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'scim-bridge-store-'));
const file = join(dir, 'nested', 'bridge.db');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreSuite('sqlite', () => createStore(`sqlite:${file}`));

describe('sqlite specifics', () => {
  it('works in memory', async () => {
    const store = createStore('sqlite::memory:');
    await store.migrate();
    const user = await store.createUser('c', userInput('mem@example.com'), ctx());
    expect((await store.getUser('c', user.id))?.userName).toBe('mem@example.com');
    await store.close();
  });

  it('keeps temporary tables in memory (RETURNING, IN lists and materialized subqueries use one per statement)', async () => {
    const store = new SqliteStore({ path: join(dir, 'temp.db') });
    await store.migrate();
    try {
      // 2 is MEMORY (sqlite.org/pragma.html#pragma_temp_store).
      expect(await store.readRaw(() => rows(raw('PRAGMA temp_store')))).toEqual([{ temp_store: 2 }]);
    } finally {
      await store.close();
    }
  });

  it('reports a database locked by another process as STORE_UNAVAILABLE (transient)', async () => {
    const path = join(dir, 'busy.db');
    const store = new SqliteStore({ path, busyTimeoutMs: 50 });
    await store.migrate();
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      const err = await expectCode(store.createUser(newConnection(), userInput('busy@example.com'), ctx()), 'STORE_UNAVAILABLE');
      expect(err.kind).toBe('transient');
      expect(await store.listUsers('x', { startIndex: 1, count: 1 })).toEqual({ totalResults: 0, records: [] });
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
      await store.close();
    }
  });

  it('runs a lookup of one statement outside a transaction, and refuses a second statement in one', async () => {
    const connection = newConnection();
    const store = new SqliteStore({ path: join(dir, 'lookup.db') });
    await store.migrate();
    try {
      const user = await store.createUser(connection, userInput('lookup@example.com'), ctx());
      // better-sqlite3's transaction functions are frozen: wrap the store's in a counting copy.
      type Transaction = { deferred: (work: unknown) => unknown; immediate: (work: unknown) => unknown };
      const inner = store as unknown as { transaction: Transaction };
      const original = inner.transaction;
      const deferred = vi.fn((work: unknown) => original.deferred(work));
      inner.transaction = { deferred, immediate: (work) => original.immediate(work) };
      const filter = parseFilter('userName eq "LOOKUP@example.com"');
      expect((await store.listUsers(connection, { filter, startIndex: 1, count: 1, related: true })).records.map((u) => u.id)).toEqual([user.id]);
      expect((await store.getUser(connection, user.id, { related: true }))?.id).toBe(user.id);
      expect(deferred).not.toHaveBeenCalled();
      // A page is several statements: one read transaction, so they share a snapshot.
      await store.listUsers(connection, { startIndex: 1, count: 10, related: true });
      expect(deferred).toHaveBeenCalledTimes(1);
      const run = (store as unknown as { run: (mode: string, work: () => unknown) => Promise<unknown> }).run.bind(store);
      await expect(run('lookup', function* () {
        yield* rows(raw('SELECT 1'));
        yield* rows(raw('SELECT 2'));
      })).rejects.toThrow(/second statement/);
    } finally {
      await store.close();
    }
  });

  it('keeps planner statistics without stat4 samples, so a statement is not compiled again on every call', async () => {
    // With samples for an index, SQLite recompiles a statement whose parameters bind its columns
    // whenever they are bound anew (sqlite.org/c3ref/prepare.html): a 4 µs lookup took 25 µs.
    const path = join(dir, 'stats.db');
    const connection = newConnection();
    const store = new SqliteStore({ path });
    await store.migrate();
    for (let i = 0; i < 300; i++) await store.createUser(connection, userInput(`stats${i}@example.com`), ctx());
    // Samples as a plain ANALYZE (or an optimize) leaves them; the store's next optimize (at close) must drop them.
    const analyst = new Database(path);
    analyst.exec('ANALYZE');
    expect(analyst.prepare('SELECT count(*) FROM sqlite_stat4').pluck().get()).toBeGreaterThan(0);
    analyst.close();
    await store.close();
    const db = new Database(path);
    try {
      db.exec('ANALYZE sqlite_schema');
      const tables = (db.prepare("SELECT DISTINCT tbl FROM sqlite_stat1").pluck().all() as string[]);
      expect(tables).toContain('users');
      const hasStat4 = db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'").pluck().get() === 1;
      expect(hasStat4 ? db.prepare('SELECT count(*) FROM sqlite_stat4').pluck().get() : 0).toBe(0);
      const plan = db.prepare("EXPLAIN QUERY PLAN SELECT id FROM users WHERE connection = ? AND deleted_at IS NULL AND user_name_ci = ?").all(connection, 'stats7@example.com') as { detail: string }[];
      expect(plan.map((row) => row.detail).join(' ')).toContain('users_user_name_ci_key');
    } finally {
      db.close();
    }
  });

  it('claims the first due jobs through the index of unheld jobs, in queue order (no sort of the queue)', async () => {
    const store = new SqliteStore({ path: join(dir, 'claim-plan.db') });
    await store.migrate();
    try {
      const connection = newConnection();
      for (let i = 0; i < 300; i++) await store.createUser(connection, userInput(`claim${i}@example.com`), ctx());
      const { due } = claimParts(sqliteDialect, connection, { limit: 4, workerId: 'w', leaseMs: 60_000 });
      const plan = (await store.readRaw(() => rows(sql`EXPLAIN QUERY PLAN ${due}`))).map((row) => String(row.detail)).join('; ');
      expect(plan).toContain('USING INDEX sync_jobs_claim_idx');
      expect(plan).not.toContain('TEMP B-TREE');
    } finally {
      await store.close();
    }
  });

  describe('checkpoints of the write-ahead log', () => {
    const sizeOf = (path: string): number => statSync(path).size;

    it('are not run by the commit that fills the log, on the store\'s thread', async () => {
      // SQLite's own checkpoint copies the log into the database file when a commit takes it past
      // 1,000 pages: on this thread, an fsync long. The database file shows whether that happened.
      const path = join(dir, 'no-inline-checkpoint.db');
      const store = new SqliteStore({ path, checkpointEvery: 1_000_000 });
      await store.migrate();
      // Started by a first checkpoint; until the worker is ready SQLite's own checkpoints run.
      await store.walCheckpoint();
      const before = sizeOf(path);
      const connection = newConnection();
      for (let i = 0; i < 600; i++) await store.createUser(connection, userInput(`inline${i}@example.com`), ctx());
      try {
        expect(sizeOf(`${path}-wal`)).toBeGreaterThan(DEFAULT_PAGES * 4096);
        expect(sizeOf(path)).toBe(before);
      } finally {
        await store.close();
      }
    });

    it('are run by a worker thread, which copies the whole log while the store goes on', async () => {
      const path = join(dir, 'worker-checkpoint.db');
      const store = new SqliteStore({ path, checkpointEvery: 50 });
      await store.migrate();
      const before = sizeOf(path);
      const connection = newConnection();
      for (let i = 0; i < 200; i++) await store.createUser(connection, userInput(`worker${i}@example.com`), ctx());
      try {
        const result = await store.walCheckpoint();
        expect(result).toMatchObject({ ok: true, busy: 0 });
        expect(result?.ok && result.checkpointed).toBe(result?.ok && result.log);
        expect(sizeOf(path)).toBeGreaterThan(before);
        const page = await store.listUsers(connection, { startIndex: 1, count: 1, filter: parseFilter('userName eq "worker199@example.com"') });
        expect(page.records.map((user) => user.userName)).toEqual(['worker199@example.com']);
      } finally {
        await store.close();
      }
      // Closed, the worker's connection is gone with the store's: the log was checkpointed and removed.
      expect(() => statSync(`${path}-wal`)).toThrow();
    });

    it('start the log over while the store keeps writing, so it stays far below the backstop', async () => {
      // A log starts over only when a write begins with every frame copied; with writes coming
      // while the worker copies that never happens unless the store finishes the worker's copy.
      const path = join(dir, 'restart.db');
      const store = new SqliteStore({ path, checkpointEvery: 20 });
      await store.migrate();
      const connection = newConnection();
      try {
        for (let i = 0; i < 3000; i++) {
          await store.createUser(connection, userInput(`restart${i}@example.com`), ctx());
          // The worker's answers come as messages: let the loop turn, as a server's does.
          await new Promise((resolve) => setImmediate(resolve));
        }
        const frames = sizeOf(`${path}-wal`) / (4096 + 24);
        expect(frames).toBeGreaterThan(RESTART_FRAMES / 2);
        expect(frames).toBeLessThan((RESTART_FRAMES + BACKSTOP_PAGES) / 2);
      } finally {
        await store.close();
      }
    });

    it('let a process that closes its store finish (the worker does not keep it alive, nor end it early)', async () => {
      // The built store, in a process of its own: with nothing else to do, an unref'd worker's
      // exit never came, and the process ended inside close() (exit code 13, an unsettled await).
      const built = join(appRoot, 'dist', 'directory', 'sqlite', 'sqlite-store.js');
      const script = `
        const { SqliteStore } = await import(${JSON.stringify(built)});
        const store = new SqliteStore({ path: ${JSON.stringify(join(dir, 'exit.db'))}, checkpointEvery: 1000000 });
        await store.migrate();
        for (let i = 0; i < 10; i++) await store.createUser('c', { userName: 'u' + i, externalId: null, active: true, emails: [], attributes: { userName: 'u' + i } }, { requestId: 'r' });
        await store.walCheckpoint();
        // A checkpoint is running when the store closes.
        void store.walCheckpoint();
        await store.close();
        console.log('closed');`;
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        // A file, not -e: an evaluated script kept the process alive by itself.
        const file = join(dir, 'close-store.mjs');
        writeFileSync(file, script);
        execFile(process.execPath, [file], { timeout: 20_000 }, (err, out) => resolve({ code: err ? (err.code as number) : 0, stdout: out }));
      });
      expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: 'closed' });
    });

    it('go back to SQLite\'s own when the store cannot finish a worker\'s checkpoint', async () => {
      // The store's finishing checkpoint runs after a worker's answer, in a promise nothing awaits
      // when a commit asked for it: a disk error there was an unhandled rejection, which ends a
      // Node.js process.
      const path = join(dir, 'finish-fails.db');
      const writer = new Database(path);
      writer.pragma('journal_mode = WAL');
      writer.pragma('wal_autocheckpoint = 0');
      writer.exec('CREATE TABLE filler (body BLOB)');
      const insert = writer.prepare('INSERT INTO filler (body) VALUES (?)');
      writer.transaction(() => {
        for (let i = 0; i < RESTART_FRAMES + 500; i++) insert.run(Buffer.alloc(3_000, i % 256));
      })();
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const settings: number[] = [];
      const finish = (): void => {
        throw new Error('disk I/O error');
      };
      const checkpointer = new WalCheckpointer({ path, everyCommits: 1, setAutoCheckpoint: (pages) => void settings.push(pages), finish });
      try {
        // As a commit asks: nobody awaits this checkpoint.
        checkpointer.noteCommit();
        await vi.waitFor(() => expect(settings).toEqual([BACKSTOP_PAGES, DEFAULT_PAGES]), { timeout: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(unhandled).toEqual([]);
        // Failed, the checkpointer is not asked again: SQLite's own checkpoints run.
        expect(await checkpointer.checkpoint()).toBeUndefined();
        // Asked directly (the store's walCheckpoint), the answer says why rather than rejecting.
        const asked = new WalCheckpointer({ path, everyCommits: 1_000, setAutoCheckpoint: () => undefined, finish });
        try {
          expect(await asked.checkpoint()).toEqual({ ok: false, message: 'disk I/O error' });
        } finally {
          await asked.close();
        }
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await checkpointer.close();
        writer.close();
      }
    });

    it('go back to SQLite\'s own when the store connection refuses the backstop setting', async () => {
      // The setting is made in the listener of the worker's first message: a throw there was an
      // uncaught exception (which ends a Node.js process), and the start never settled, so every
      // checkpoint and the store's close waited forever.
      const path = join(dir, 'setting-fails.db');
      const writer = new Database(path);
      writer.pragma('journal_mode = WAL');
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown): void => void uncaught.push(err);
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.on('uncaughtException', onUncaught);
      const settings: number[] = [];
      const setAutoCheckpoint = (pages: number): void => {
        settings.push(pages);
        throw new Error('the database connection is not open');
      };
      const checkpointer = new WalCheckpointer({ path, everyCommits: 1, setAutoCheckpoint, finish: () => undefined });
      try {
        const answered = await Promise.race([checkpointer.checkpoint(), new Promise((resolve) => setTimeout(() => resolve('no answer in 5 s'), 5_000))]);
        expect(answered).toBeUndefined();
        expect(uncaught).toEqual([]);
        expect(settings).toEqual([BACKSTOP_PAGES, DEFAULT_PAGES]);
        checkpointer.noteCommit();
        expect(await checkpointer.checkpoint()).toBeUndefined();
      } finally {
        const closed = await Promise.race([checkpointer.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('close hung'), 5_000))]);
        process.off('uncaughtException', onUncaught);
        for (const listener of listeners) process.on('uncaughtException', listener);
        writer.close();
        expect(closed).toBe('closed');
      }
    });

    it('go back to SQLite\'s own when the worker cannot start', async () => {
      const settings: number[] = [];
      const checkpointer = new WalCheckpointer({ path: join(dir, 'missing', 'none.db'), everyCommits: 1, setAutoCheckpoint: (pages) => void settings.push(pages), finish: () => undefined });
      expect(await checkpointer.checkpoint()).toBeUndefined();
      checkpointer.noteCommit();
      expect(await checkpointer.checkpoint()).toBeUndefined();
      await checkpointer.close();
      expect(settings).toEqual([DEFAULT_PAGES]);
    });
  });
});
