import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyStoreCommand, copyStoreNotes } from '../../src/commands/copy-store.js';
import { reportError, type CliIo } from '../../src/commands/context.js';
import { copyStore, copyTables, uncopiedTables } from '../../src/directory/copy.js';
import { createStore } from '../../src/directory/create-store.js';
import { parseFilter } from '../../src/filter/index.js';
import { migrations } from '../../src/directory/migrations.js';
import { sqliteDialect } from '../../src/directory/sql/dialect.js';
import type { Store } from '../../src/directory/store.js';
import { dropSchema, eventually, openTestStore, startTestBridge, TEST_DATABASE_URL, type TestStore } from '../helpers/bridge.js';
import { startCli } from '../ops/cli-process.js';
import { runCli, startCliEnv } from './cli-env.js';
import { ctx, holdJobs, userInput } from '../store/fixtures.js';

/**
 * `scim-bridge copy-store`: a SQLite store seeded through the Store API is copied into a fresh
 * PostgreSQL schema and back into SQLite; every record must come out identical (ids, versions,
 * timestamps, tombstones, held jobs, sync states, audit ids), and a bridge on the copy must
 * answer the same ids with the same ETags.
 */

// The copy is made into the connection a test bridge of type yardstik serves.
const OKTA = 'yardstik';
const OTHER = 'paradime';
const PASSWORD = 'N0t-Printed-Passw0rd';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Captures what a command prints; `run` also prints a thrown problem as the CLI does. */
function captureIo(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    out: () => out,
    err: () => err,
  };
}

async function run(from: string, to: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  let code: number;
  try {
    code = await copyStoreCommand({ from, to }, io);
  } catch (err) {
    code = reportError(err, io);
  }
  return { code, stdout: io.out(), stderr: io.err() };
}

/** A PostgreSQL schema of its own, named in the URL (the command takes URLs only), dropped by the test. */
async function createSchema(): Promise<{ schema: string; url: string }> {
  const schema = `copy_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await client.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, url: url.toString() };
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

const tempSqliteUrl = (): string => `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'scim-bridge-copy-')), 'copy.db')}`;

interface Seeded {
  ada: string;
  bob: string;
  carol: string;
  dave: string;
  group: string;
}

/** Users (one with the enterprise extension and three emails, one replaced, one deleted), a group, a held job, sync states, audit. */
async function seed(store: Store): Promise<Seeded> {
  const emails = [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home', primary: false },
    { value: 'ada.lovelace@example.com', type: 'other', primary: false },
  ];
  const ada = await store.createUser(
    OKTA,
    userInput('ada@example.com', {
      externalId: 'okta-00u1',
      emails,
      attributes: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        [ENTERPRISE]: { employeeNumber: '42', department: 'Engineering', manager: { value: 'boss-1', displayName: 'The Boss' } },
      },
    }),
    ctx('req-ada'),
  );
  const bob = await store.createUser(OKTA, userInput('bob@example.com', { emails: [{ value: 'bob@example.com', type: 'work', primary: false }] }), ctx('req-bob'));
  const bobEmails = [{ value: 'bob@example.com', type: 'work', primary: true }];
  await store.replaceUser(OKTA, bob.id, userInput('bob@example.com', { active: false, emails: bobEmails, attributes: { active: false, title: 'Ex-engineer' } }), {}, ctx('req-bob-2'));
  const carol = await store.createUser(OKTA, userInput('carol@example.com'), ctx('req-carol'));
  await store.deleteUser(OKTA, carol.id, {}, ctx('req-carol-delete'));
  const dave = await store.createUser(OTHER, userInput('dave@example.com'), ctx('req-dave'));
  const group = await store.createGroup(OKTA, { displayName: 'Engineering', externalId: 'okta-g1', attributes: { displayName: 'Engineering' }, members: [ada.id, bob.id] }, ctx('req-g'));
  await holdJobs(store, OKTA, [bob.id], 'mass-deprovisioning guard: more than 10 of 40 managed accounts would lose access');
  const now = Date.now();
  await store.putSyncState({
    connection: OKTA, userId: ada.id, status: 'synced', targetId: '7', targetEmail: 'ada@example.com', role: 'db_viewer',
    isManaged: true, accountStatus: 'active', lastError: null, lastSyncAt: now - 1000, updatedAt: now - 1000,
  });
  await store.putSyncState({
    connection: OKTA, userId: bob.id, status: 'failed', targetId: null, targetEmail: 'bob@example.com', role: null,
    isManaged: false, accountStatus: 'absent', lastError: { code: 'TARGET_REJECTED', message: 'email domain not allowed' }, lastSyncAt: null, updatedAt: now,
  });
  await store.appendAudit([
    { at: now - 500, connection: OKTA, userId: ada.id, requestIds: ['req-ada'], decision: { outcome: 'synced', calls: [{ op: 'create', ok: true }], note: 'ünïcödé "quoted"' } },
    { at: now - 400, connection: OTHER, userId: dave.id, requestIds: [], decision: { outcome: 'failed', error: { code: 'TARGET_AUTH' } } },
  ]);
  return { ada: ada.id, bob: bob.id, carol: carol.id, dave: dave.id, group: group.id };
}

/** Everything the bridge reads, through the Store API. */
async function snapshot(store: Store, seeded: Seeded): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const connection of [OKTA, OTHER]) {
    const users = await store.listUsers(connection, { startIndex: 1, count: 100 });
    const groups = await store.listGroups(connection, { startIndex: 1, count: 100 }, { members: true });
    out[connection] = {
      users,
      groups,
      jobs: await store.listJobs(connection, { limit: 1000 }),
      held: await store.listJobs(connection, { held: true }),
      syncStates: await store.listSyncStates(connection),
      summary: await store.syncSummary(connection),
      groupsOfUsers: await store.groupsOfUsers(connection, users.records.map((u) => u.id)),
    };
  }
  out.byId = {
    ada: await store.getUser(OKTA, seeded.ada),
    bob: await store.getUser(OKTA, seeded.bob),
    carol: await store.getUser(OKTA, seeded.carol, { includeDeleted: true }),
    dave: await store.getUser(OTHER, seeded.dave),
    group: await store.getGroup(OKTA, seeded.group, { members: true }),
    states: await store.getSyncStates(OKTA, [seeded.ada, seeded.bob, seeded.carol]),
    byTarget: await store.findSyncStateByTarget(OKTA, '7'),
  };
  // Email filters read the user_emails side table.
  const byEmail = async (email: string): Promise<string[]> =>
    (await store.listUsers(OKTA, { filter: parseFilter(`emails.value eq "${email}"`), startIndex: 1, count: 10 })).records.map((u) => u.id);
  out.emails = { home: await byEmail('ada@home.example'), other: await byEmail('ada.lovelace@example.com'), bob: await byEmail('bob@example.com') };
  out.audit = await store.listAudit({ limit: 1000 });
  return out;
}

describe('scim-bridge copy-store', () => {
  let source: TestStore;
  let seeded: Seeded;
  let expected: Record<string, unknown>;
  const schemas: string[] = [];

  beforeAll(async () => {
    source = await openTestStore('sqlite');
    seeded = await seed(source);
    expected = await snapshot(source, seeded);
  });
  afterAll(async () => {
    await source.close();
    for (const schema of schemas) await dropSchema(schema);
  });

  it('knows every table the migrations create, except schema_migrations, and copies all but coordination state', () => {
    const created = migrations.flatMap((m) => m.statements(sqliteDialect, 0)).flatMap((s) => /^\s*CREATE TABLE (\w+)/.exec(s)?.[1] ?? []);
    expect([...copyTables.map((t) => t.name), ...uncopiedTables].sort()).toEqual([...created].sort());
    expect(uncopiedTables.every((name) => name.startsWith('coord_'))).toBe(true);
  });

  it('says in --help to stop the bridge first', () => {
    expect(copyStoreNotes).toContain('Stop the bridge');
  });

  describe('SQLite → PostgreSQL → SQLite', () => {
    let pgUrl = '';
    let schema = '';
    let destination: Store;

    beforeAll(async () => {
      ({ schema, url: pgUrl } = await createSchema());
      schemas.push(schema);
      const result = await run(source.url, withPassword(pgUrl, PASSWORD));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain(PASSWORD);
      expect(result.stdout).toContain('postgres://postgres:***@127.0.0.1:5432/test');
      expect(result.stdout).toMatch(/^users +4$/m);
      expect(result.stdout).toMatch(/^user_emails +4$/m);
      expect(result.stdout).toMatch(/^group_members +2$/m);
      expect(result.stdout).toMatch(/^sync_jobs +4$/m);
      expect(result.stdout).toMatch(/^sync_state +2$/m);
      expect(result.stdout).toMatch(/^audit_log +2$/m);
      destination = createStore(TEST_DATABASE_URL, { schema });
    });
    afterAll(() => destination.close());

    it('copies every record exactly: ids, versions, timestamps, tombstones, held jobs, sync states, audit', async () => {
      const copied = await snapshot(destination, seeded);
      expect(copied).toEqual(expected);
      // The snapshot is not trivially empty.
      expect(copied.byId).toMatchObject({
        ada: { version: 1, externalId: 'okta-00u1', attributes: { [ENTERPRISE]: { employeeNumber: '42', manager: { value: 'boss-1' } } } },
        bob: { version: 2, active: false },
        carol: { deleted: true },
        group: { memberCount: 2, members: expect.arrayContaining([{ value: seeded.ada, display: 'ada@example.com' }]) },
        byTarget: { userId: seeded.ada, isManaged: true },
      });
      expect((copied[OKTA] as { held: unknown[] }).held).toEqual([expect.objectContaining({ userId: seeded.bob, heldReason: expect.stringContaining('guard') })]);
      expect(copied.audit).toHaveLength(2);
    });

    it('leaves a store the bridge runs on: same ETags and meta, new ids after the copied ones', async () => {
      const bridge = await startTestBridge({ store: destination, types: [OKTA], runWorkers: false });
      try {
        const ada = await bridge.scim(OKTA).get(`/Users/${seeded.ada}`).expect(200);
        const before = (expected.byId as { ada: { created: number; lastModified: number } }).ada;
        expect(ada.headers.etag).toBe('W/"1"');
        expect(ada.body.meta).toMatchObject({ version: 'W/"1"', created: new Date(before.created).toISOString(), lastModified: new Date(before.lastModified).toISOString() });
        const bob = await bridge.scim(OKTA).get(`/Users/${seeded.bob}`).expect(200);
        expect(bob.headers.etag).toBe('W/"2"');
        await bridge.scim(OKTA).get(`/Users/${seeded.carol}`).expect(404);
        // The tombstone freed its userName, as before the copy.
        await bridge.scim(OKTA).post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'carol@example.com' }).expect(201);
      } finally {
        await bridge.close();
      }
      const maxId = Math.max(...(expected.audit as { id: number }[]).map((a) => a.id));
      await destination.appendAudit([{ at: Date.now(), connection: OKTA, userId: seeded.ada, requestIds: [], decision: {} }]);
      const [newest] = await destination.listAudit({ limit: 1 });
      expect(newest?.id).toBeGreaterThan(maxId);
    });

    it('copies PostgreSQL back into SQLite unchanged', async () => {
      const back = tempSqliteUrl();
      const result = await run(withPassword(pgUrl, PASSWORD), back);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const copy = createStore(back);
      try {
        // The copy was taken after the bridge test above added a user and an audit record: compare with the PostgreSQL store itself.
        expect(await snapshot(copy, seeded)).toEqual(await snapshot(destination, seeded));
        expect((await copy.getUser(OKTA, seeded.carol, { includeDeleted: true }))?.deleted).toBe(true);
      } finally {
        await copy.close();
      }
    });

    it('refuses a destination that holds data, and writes nothing', async () => {
      const before = await snapshot(destination, seeded);
      const result = await run(source.url, pgUrl);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/the destination store is not empty \(users: 5, user_emails: 4, groups: 1, .*\): copy-store only copies into an empty store; nothing was copied/);
      expect(await snapshot(destination, seeded)).toEqual(before);
    });
  });

  it('copies SQLite into SQLite in small pages, keeping a user’s emails together across a page boundary', async () => {
    const copy = createStore(tempSqliteUrl());
    try {
      await copy.migrate();
      const copied = await copyStore(source, copy, { batchSize: 2 });
      expect(copied.find((c) => c.table === 'user_emails')).toEqual({ table: 'user_emails', rows: 4 });
      expect(await snapshot(copy, seeded)).toEqual(expected);
    } finally {
      await copy.close();
    }
  });

  it.each(['sqlite', 'postgres'] as const)('rolls a failed copy back: the %s destination stays empty', async (kind) => {
    // A source with a column this code does not know fails on audit_log, the last table, after the others were inserted.
    const newer = tempSqliteUrl();
    const newerStore = createStore(newer);
    await newerStore.migrate();
    await copyStore(source, newerStore);
    await newerStore.close();
    const db = new Database(newer.slice('sqlite:'.length));
    db.exec('ALTER TABLE audit_log ADD COLUMN reviewed_by TEXT');
    db.close();
    const target = kind === 'sqlite' ? { url: tempSqliteUrl(), schema: undefined } : await createSchema();
    if (target.schema !== undefined) schemas.push(target.schema);
    const result = await run(newer, target.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('copy-store does not know the column(s) reviewed_by of table audit_log');
    const destination = createStore(target.url);
    try {
      expect((await destination.listUsers(OKTA, { startIndex: 1, count: 10 })).totalResults).toBe(0);
      expect(await destination.listJobs(OKTA)).toEqual([]);
      expect(await destination.listSyncStates(OKTA)).toEqual([]);
    } finally {
      await destination.close();
    }
  });

  it('never prints a password from a URL, also when the database cannot be reached', async () => {
    const unreachable = `postgres://postgres:${PASSWORD}@127.0.0.1:1/test`;
    const result = await run(source.url, unreachable);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(result.stdout).toContain('postgres://postgres:***@127.0.0.1:1/test');
    expect(result.stderr).toContain('--to: the directory database is unavailable');
  });

  it('refuses a missing SQLite source instead of creating an empty one', async () => {
    const result = await run(`sqlite:${path.join(tmpdir(), 'no-such-dir-scim-bridge', 'bridge.db')}`, tempSqliteUrl());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--from: no SQLite database at');
  });

  describe.each(['sqlite', 'postgres'] as const)('a store a bridge serves (%s)', (kind) => {
    let served: TestStore;
    /** The URL copy-store is given for the served store (PostgreSQL: its schema in the search_path). */
    let url = '';

    beforeAll(async () => {
      served = await openTestStore(kind);
      await seed(served);
      if (served.schema === undefined) {
        url = served.url;
      } else {
        const parsed = new URL(TEST_DATABASE_URL);
        parsed.searchParams.set('options', `-c search_path=${served.schema}`);
        url = parsed.toString();
      }
    });
    afterAll(() => served.close());

    const emptyDestination = async (): Promise<string> => {
      if (kind === 'sqlite') return tempSqliteUrl();
      const created = await createSchema();
      schemas.push(created.schema);
      return created.url;
    };

    it('is refused as the source while the bridge runs, naming its pid and host, and copied once it stopped', async () => {
      const bridge = await startTestBridge({ store: served, types: [OKTA], runWorkers: false });
      // Several replicas on one PostgreSQL store share the lock: a second one starts.
      const replica = kind === 'postgres' ? await startTestBridge({ store: served, types: [OKTA], runWorkers: false }) : null;
      const to = await emptyDestination();
      try {
        const refused = await run(url, to);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`--from: the store `);
        expect(refused.stderr).toContain(`is in use by a bridge (serve) as pid ${process.pid} on host ${hostname()}`);
        expect(refused.stderr).toContain('stop that bridge (every replica) first');
        expect(refused.stderr).toContain('nothing was copied');
        const destination = createStore(to);
        try {
          await destination.migrate();
          expect((await destination.listUsers(OKTA, { startIndex: 1, count: 10 })).totalResults).toBe(0);
        } finally {
          await destination.close();
        }
      } finally {
        await replica?.close();
        await bridge.close();
      }
      const copied = await run(url, to);
      expect(copied.stderr).toBe('');
      expect(copied.code).toBe(0);
    });

    it.runIf(kind === 'postgres')('takes its lock again when the lock session is lost (a database restart), so the copy is still refused', async () => {
      const bridge = await startTestBridge({ store: served, types: [OKTA], runWorkers: false });
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        const name = `scim-bridge serve pid=${process.pid} host=${hostname()}`.slice(0, 63);
        const sessions = async (): Promise<number[]> =>
          (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name])).rows.map((r) => r.pid);
        const [first] = await sessions();
        expect(first).toBeDefined();
        await admin.query('SELECT pg_terminate_backend($1)', [first]);
        await eventually(async () => (await sessions()).some((pid) => pid !== first), { timeoutMs: 20_000, what: 'the lock taken again on a new session' });
        const refused = await run(url, await emptyDestination());
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`is in use by a bridge (serve) as pid ${process.pid}`);
      } finally {
        await admin.end();
        await bridge.close();
      }
    }, 40_000);

    it('keeps a bridge from starting while the copy holds the store', async () => {
      const copying = createStore(url);
      const lock = await copying.lock('copy-store');
      try {
        const refused = startTestBridge({ store: served, types: [OKTA], runWorkers: false });
        await expect(refused).rejects.toThrow(new RegExp(`in use by scim-bridge copy-store as pid ${process.pid} on host ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        await expect(refused).rejects.toThrow('wait for that copy to finish');
      } finally {
        await lock.release();
        await copying.close();
      }
      const bridge = await startTestBridge({ store: served, types: [OKTA], runWorkers: false });
      await bridge.close();
    });
  });

  describe('the SQLite lock file', () => {
    const lockFileOf = (url: string): string => `${url.slice('sqlite:'.length)}.lock`;

    it('left by a process that is gone is stale: the copy takes it over', async () => {
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      expect(dead).toBeGreaterThan(0);
      writeFileSync(lockFileOf(source.url), JSON.stringify({ purpose: 'serve', pid: dead, host: hostname(), since: Date.now() - 60_000 }));
      const result = await run(source.url, tempSqliteUrl());
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(existsSync(lockFileOf(source.url))).toBe(false);
    });

    it('held from another host counts as held: refused, naming the host and the file to delete', async () => {
      writeFileSync(lockFileOf(source.url), JSON.stringify({ purpose: 'serve', pid: 4242, host: 'bridge-host-elsewhere', since: Date.now() }));
      try {
        const result = await run(source.url, tempSqliteUrl());
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('is in use by a bridge (serve) as pid 4242 on host bridge-host-elsewhere');
        expect(result.stderr).toContain(`if that process is stopped, delete ${lockFileOf(source.url)}`);
      } finally {
        writeFileSync(lockFileOf(source.url), '');
        await import('node:fs').then((fs) => fs.unlinkSync(lockFileOf(source.url)));
      }
    });
  });

  it('refuses a store a bridge process serves, names that process, and takes over its lock once it was killed', async () => {
    const env = await startCliEnv({ types: [OKTA], store: 'sqlite' });
    const serving = startCli(env.configFile, path.dirname(env.configFile));
    try {
      const pid = serving.child.pid as number;
      // The config logs warnings only: the lock file naming the process says it serves.
      const lockFile = `${env.storeUrl.slice('sqlite:'.length)}.lock`;
      await eventually(async () => existsSync(lockFile) && readFileSync(lockFile, 'utf8').includes(`"pid":${pid}`), { timeoutMs: 30_000, what: 'the bridge process to hold its store' });
      const refused = await runCli(['copy-store', '--from', env.storeUrl, '--to', tempSqliteUrl()], path.dirname(env.configFile));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`is in use by a bridge (serve) as pid ${pid} on host ${hostname()}`);
      // A second bridge on the same SQLite file is refused too, and told why.
      const second = await env.run('serve');
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`cannot serve: the store ${env.storeUrl.slice('sqlite:'.length)} is in use by a bridge (serve) as pid ${pid}`);
      expect(second.stderr).toContain('an SQLite store serves one bridge process');
      serving.child.kill('SIGKILL');
      await serving.exited;
      const copied = await runCli(['copy-store', '--from', env.storeUrl, '--to', tempSqliteUrl()], path.dirname(env.configFile));
      expect(copied.stderr).toBe('');
      expect(copied.code).toBe(0);
    } finally {
      serving.child.kill('SIGKILL');
      await env.close();
    }
  }, 90_000);
});
