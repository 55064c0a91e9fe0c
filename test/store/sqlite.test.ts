import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/directory/create-store.js';
import { userInput, ctx, expectCode, newConnection } from './fixtures.js';
import { SqliteStore } from '../../src/directory/sqlite/sqlite-store.js';
import { raw } from '../../src/directory/sql/sql.js';
import { rows } from '../../src/directory/sql/tx.js';
import { runStoreSuite } from './store-suite.js';

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
});
