import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/directory/create-store.js';
import type { Store } from '../../src/directory/store.js';
import { ctx, expectCode, newConnection, userInput } from './fixtures.js';
import { runStoreSuite } from './store-suite.js';

// CI has PostgreSQL: an unreachable server fails this file, it never skips it.
const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
const extraSchema = `${schema}_m`;

afterAll(async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS "${extraSchema}" CASCADE`);
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
