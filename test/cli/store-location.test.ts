import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/bridge.js';
import { hasStackTrace, runCli } from './cli-env.js';

/**
 * A store the bridge cannot use fails `validate` and `serve` within seconds, naming the file or
 * the PostgreSQL host and database (never the password). Before, `serve` with a store under
 * /proc hung for ever (creating the folder never returned) and `validate` called it OK.
 */

const mappings = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../mappings');
const configFor = (store: string): string =>
  [
    'listen: { host: 127.0.0.1, port: 0 }',
    `store: ${JSON.stringify(store)}`,
    'connections:',
    '  rc:',
    '    type: redis-enterprise',
    `    mapping: ${path.join(mappings, 'redis-enterprise.yaml')}`,
    '    scim:',
    '      tokens: [long-enough-token-123]',
    '    target:',
    '      url: http://127.0.0.1:9',
    '      username: admin@example.com',
    '      password: x',
    '',
  ].join('\n');

describe('store location', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-store-'));
  const write = (name: string, store: string): string => {
    writeFileSync(path.join(dir, name), configFor(store));
    return name;
  };

  it.skipIf(process.platform !== 'linux')('validate refuses a store under /proc, with the line and the path', async () => {
    const file = write('proc.yaml', 'sqlite:/proc/1/nope/bridge.db');
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('proc.yaml:2 store: /proc/1/nope/bridge.db cannot be used: /proc/1 is on the special filesystem proc');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('serve exits at once with a store under /proc instead of hanging', async () => {
    const file = write('proc-serve.yaml', 'sqlite:/proc/1/nope/bridge.db');
    const result = await runCli(['serve', '--config', file], dir, { LOG_LEVEL: 'error' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/proc/1/nope/bridge.db cannot be used: /proc/1 is on the special filesystem proc');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('validate refuses a store path under a file', async () => {
    writeFileSync(path.join(dir, 'not-a-folder'), 'x');
    const file = write('under-file.yaml', 'sqlite:./not-a-folder/bridge.db');
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`under-file.yaml:2 store: ./not-a-folder/bridge.db cannot be used: ${path.join(dir, 'not-a-folder')} is a file, not a folder`);
  });

  it('serve and status name the file that is not a database', async () => {
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    writeFileSync(path.join(dir, 'data', 'x.db'), 'this is a text file, not an SQLite database. '.repeat(20));
    const file = write('notdb.yaml', 'sqlite:./data/x.db');
    for (const command of ['serve', 'status']) {
      const result = await runCli([command, '--config', file], dir, { LOG_LEVEL: 'error' });
      expect(result.code, command).toBe(1);
      expect(result.stderr, command).toContain('file is not a database: ./data/x.db');
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
  });

  it('names the PostgreSQL host and database, never the password', async () => {
    const refused = write('pg-refused.yaml', 'postgres://scim:hunter2-secret@127.0.0.1:1/bridge');
    const result = await runCli(['status', '--config', refused], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('postgres://scim@127.0.0.1:1/bridge');
    expect(result.stderr).toMatch(/ECONNREFUSED/);
    expect(result.stderr).not.toContain('hunter2');

    const url = new URL(TEST_DATABASE_URL);
    url.pathname = '/no_such_database_i13';
    const missing = write('pg-missing.yaml', url.toString());
    const serve = await runCli(['serve', '--config', missing], dir, { LOG_LEVEL: 'error' });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain(`database "no_such_database_i13" does not exist: postgres://${url.username}@${url.hostname}:${url.port || '5432'}/no_such_database_i13`);
  });
});
