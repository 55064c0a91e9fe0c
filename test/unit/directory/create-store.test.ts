import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/directory/create-store.js';

const dir = mkdtempSync(join(tmpdir(), 'scim-bridge-create-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createStore', () => {
  it('opens SQLite files (creating the folder) and memory databases', async () => {
    const file = join(dir, 'a', 'b', 'bridge.db');
    const store = createStore(`sqlite:${file}`);
    expect(store.dialect).toBe('sqlite');
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
    await store.close();
    const absolute = createStore(`sqlite://${join(dir, 'c.db')}`);
    await absolute.migrate();
    expect(existsSync(join(dir, 'c.db'))).toBe(true);
    await absolute.close();
    const memory = createStore('sqlite::memory:');
    await memory.ping();
    await memory.close();
  });

  it('opens PostgreSQL lazily for both URL schemes', async () => {
    for (const url of ['postgres://u@127.0.0.1:1/db', 'postgresql://u@127.0.0.1:1/db']) {
      const store = createStore(url);
      expect(store.dialect).toBe('postgres');
      await store.close();
    }
  });

  it('rejects other URLs without echoing credentials', () => {
    expect(() => createStore('mysql://root:hunter2@db/bridge')).toThrow(/unsupported database URL scheme "mysql:".*sqlite:\.\/data\/bridge\.db/);
    expect(() => createStore('mysql://root:hunter2@db/bridge')).not.toThrow(/hunter2/);
    expect(() => createStore('./bridge.db')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => createStore('sqlite:')).toThrow(/names no file/);
    expect(() => createStore('postgres://u@h/db', { schema: 'Bad-Name' })).toThrow(/lower-case SQL identifier/);
  });
});
