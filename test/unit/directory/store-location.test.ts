import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSqliteLocation, describeStoreLocation } from '../../../src/directory/store-location.js';

/** Where a SQLite store may live: checked before the file is opened, so a bad place fails at once, named. */

const dir = mkdtempSync(join(tmpdir(), 'scim-bridge-location-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const isLinux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;

describe('checkSqliteLocation', () => {
  it.skipIf(!isLinux)('refuses /proc and /sys at once, naming the path and the filesystem (creating the folder there never returned)', () => {
    expect(() => checkSqliteLocation('/proc/1/nope/bridge.db', { create: true })).toThrow(/\/proc\/1\/nope\/bridge\.db.*\/proc\/1 is on the special filesystem proc/);
    expect(() => checkSqliteLocation('/sys/bridge.db', { create: false })).toThrow(/\/sys\/bridge\.db.*\/sys is on the special filesystem sysfs/);
    expect(() => checkSqliteLocation('/proc/1/nope/bridge.db', { create: true })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('refuses a path under a file, and a folder given as the file', () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    expect(() => checkSqliteLocation(join(file, 'bridge.db'), { create: true })).toThrow(`${file} is a file, not a folder`);
    mkdirSync(join(dir, 'folder.db'));
    expect(() => checkSqliteLocation(join(dir, 'folder.db'), { create: false })).toThrow(`${join(dir, 'folder.db')} is a folder, not a database file`);
  });

  it('creates the missing folders only when asked to', () => {
    const file = join(dir, 'a', 'b', 'bridge.db');
    checkSqliteLocation(file, { create: false });
    expect(existsSync(join(dir, 'a'))).toBe(false);
    checkSqliteLocation(file, { create: true });
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
    checkSqliteLocation(':memory:', { create: true });
  });

  it.skipIf(isRoot)('refuses a folder it cannot write in', async () => {
    const { chmodSync } = await import('node:fs');
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      expect(() => checkSqliteLocation(join(locked, 'x', 'bridge.db'), { create: true })).toThrow(`cannot write in ${locked}`);
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});

describe('describeStoreLocation', () => {
  it('names the file as written, or the PostgreSQL user, host and database without the password', () => {
    expect(describeStoreLocation('sqlite:./data/x.db')).toBe('./data/x.db');
    expect(describeStoreLocation('postgres://scim:hunter2@db.internal:5433/bridge?sslmode=require')).toBe('postgres://scim@db.internal:5433/bridge');
    expect(describeStoreLocation('postgresql://db.internal/bridge')).toBe('postgres://db.internal:5432/bridge');
    expect(describeStoreLocation('postgres://u:p@[bad')).toBe('postgres (unparsable URL)');
  });
});
