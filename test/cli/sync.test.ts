import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, SimRequestRecord } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import { ctx, holdJobs } from '../store/fixtures.js';
import { CLI, simGet, startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge sync`: converges every user into the targets and reconciles, in one run. */

type Users<T> = { users: T[] };

// util-linux `script` gives the CLI a terminal, so the progress bar can be seen as a user sees it.
const hasScript = process.platform === 'linux' && existsSync('/usr/bin/script');

describe('scim-bridge sync', () => {
  let env: CliEnv;
  const ids = new Map<string, string>();
  const sim = (type: ConnectorType): RunningSimulator => env.sims.get(type) as RunningSimulator;
  const reUsers = async () => (await simGet<Users<{ uid: number; email: string; role: string }>>(sim('redis-enterprise'), 'state')).users;

  beforeAll(async () => {
    env = await startCliEnv({ types: ['redis-enterprise', 'yardstik', 'redis-cloud', 'paradime'] });
    for (const name of ['ada@example.com', 'bob@example.com']) ids.set(name, await env.createUser('redis-enterprise', name));
    await env.store.createGroup('redis-enterprise', { displayName: 'Redis Admins', externalId: null, attributes: {}, members: [ids.get('bob@example.com') as string] }, ctx());
    await env.createUser('yardstik', 'yara@example.com');
    await env.createUser('redis-cloud', 'cleo@example.com');
    await env.createUser('paradime', 'pat@example.com');
  });
  afterAll(() => env.close());

  it('converges every connection, shows progress and a summary, and exits 0', async () => {
    const result = await env.run('sync');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Not a terminal: plain progress lines instead of a bar.
    expect(result.stdout).toContain('redis-enterprise: converging every user: 2/2\n');
    expect(result.stdout).not.toContain('\r');
    expect(result.stdout).toMatch(/redis-enterprise \(redis-enterprise\): \d+ jobs? run\n {2}changed in the target: 2 users \(2 accounts created\)\n(?: {4}.+\n){2} {2}reconcile, after converging: \d+ accounts in the target, no drift left\n/);
    expect(result.stdout).toContain('users 2: synced 2, pending 0, failed 0, unsupported 0, held 0');

    const users = await reUsers();
    expect(users.find((u) => u.email === 'ada@example.com')?.role).toBe('db_viewer');
    expect(users.find((u) => u.email === 'bob@example.com')?.role).toBe('admin');
    const yardstik = await simGet<Users<{ email_address: string }>>(sim('yardstik'), 'state');
    expect(yardstik.users.map((u) => u.email_address)).toContain('yara@example.com');
    const cloud = await simGet<Users<{ email: string }>>(sim('redis-cloud'), 'state');
    expect(cloud.users.map((u) => u.email)).toContain('cleo@example.com');
    const paradime = JSON.stringify(await simGet(sim('paradime'), 'state'));
    expect(paradime).toContain('pat@example.com');
    for (const connection of ['redis-enterprise', 'yardstik', 'redis-cloud', 'paradime']) {
      const summary = await env.store.syncSummary(connection);
      expect(summary.byStatus.synced, connection).toBe(summary.users);
    }
    expect(await env.store.jobStats()).toEqual([]);
  });

  it('a second run writes nothing: every user is already in sync', async () => {
    await fetch(`${sim('redis-enterprise').url}/_sim/requests`, { method: 'DELETE' });
    const result = await env.run('sync', '--connection', 'redis-enterprise');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('yardstik');
    const requests = await simGet<SimRequestRecord[]>(sim('redis-enterprise'), 'requests');
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await reUsers()).filter((u) => u.email === 'ada@example.com')).toHaveLength(1);
  });

  it('repairs an account deleted in the target', async () => {
    const ada = (await reUsers()).find((u) => u.email === 'ada@example.com');
    const { username, password } = { username: 'admin@sandbox.local', password: 'sandbox' };
    const deleted = await fetch(`${sim('redis-enterprise').url}/v1/users/${ada?.uid}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    expect(deleted.ok).toBe(true);
    expect((await reUsers()).map((u) => u.email)).not.toContain('ada@example.com');
    const result = await env.run('sync', '--connection', 'redis-enterprise');
    expect(result.code).toBe(0);
    expect((await reUsers()).map((u) => u.email)).toContain('ada@example.com');
  });

  it('reports what it changed, per user, with a total: a role fixed and an account re-created', async () => {
    const users = await reUsers();
    const ada = users.find((u) => u.email === 'ada@example.com');
    const bob = users.find((u) => u.email === 'bob@example.com');
    const headers = { authorization: `Basic ${Buffer.from('admin@sandbox.local:sandbox').toString('base64')}`, 'content-type': 'application/json' };
    expect((await fetch(`${sim('redis-enterprise').url}/v1/users/${ada?.uid}`, { method: 'DELETE', headers })).ok).toBe(true);
    const demoted = await fetch(`${sim('redis-enterprise').url}/v1/users/${bob?.uid}`, { method: 'PUT', headers, body: JSON.stringify({ role: 'db_viewer' }) });
    expect(demoted.ok).toBe(true);
    const result = await env.run('sync', '--connection', 'redis-enterprise');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  changed in the target: 2 users (1 account created, 1 role changed)\n');
    expect(result.stdout).toMatch(/\n {4}ada@example\.com +created the account with role db_viewer\n/);
    expect(result.stdout).toMatch(/\n {4}bob@example\.com +role db_viewer → admin\n/);
    const again = await env.run('sync', '--connection', 'redis-enterprise');
    expect(again.stdout).toContain('  changed in the target: nothing\n');
  });

  it('exits 2 and gives the reason when users cannot be converged', async () => {
    await fetch(`${sim('yardstik').url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 400, method: 'POST', count: 5 }) });
    await env.createUser('yardstik', 'zed@example.com');
    const result = await env.run('sync', '--connection', 'yardstik');
    await fetch(`${sim('yardstik').url}/_sim/faults`, { method: 'DELETE' });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/failed 1/);
    expect(result.stdout).toContain('  changed in the target: nothing; 1 user not converged\n');
    expect(result.stdout).toMatch(/\n {4}zed@example\.com +failed: TARGET_REJECTED: /);
    expect(result.stdout).toMatch(/yardstik: top problems\n\s+1 × TARGET_REJECTED: /);
  });

  it('keeps held removals until approved, then converges them', async () => {
    const leo = await env.createUser('redis-enterprise', 'leo@example.com');
    expect((await env.run('sync', '--connection', 'redis-enterprise')).code).toBe(0);
    expect((await reUsers()).map((u) => u.email)).toContain('leo@example.com');
    await env.store.deleteUser('redis-enterprise', leo, {}, ctx('req-delete-leo'));
    await holdJobs(env.store, 'redis-enterprise', [leo], 'mass-deprovisioning guard: held for the test');
    const held = await env.run('sync', '--connection', 'redis-enterprise');
    expect(held.code).toBe(2);
    expect(held.stdout).toContain('held 1');
    expect(held.stdout).toContain('release them with: scim-bridge approve --connection redis-enterprise');
    expect((await reUsers()).map((u) => u.email)).toContain('leo@example.com');
    expect((await env.run('approve', '--connection', 'redis-enterprise', '--user', leo)).code).toBe(0);
    const approved = await env.run('sync', '--connection', 'redis-enterprise');
    expect(approved.stdout).toContain('redis-enterprise: approved changes: 1/1');
    expect(approved.code).toBe(0);
    expect((await reUsers()).map((u) => u.email)).not.toContain('leo@example.com');
  });

  it.skipIf(!hasScript)('draws a progress bar on a terminal', async () => {
    await env.createUser('redis-enterprise', 'tty@example.com');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} sync --connection redis-enterprise --config ${JSON.stringify(env.configFile)}`;
    // Asynchronously: the simulators answer from this process.
    const { stdout: output } = await promisify(execFile)('/usr/bin/script', ['-qec', command, '/dev/null'], { cwd: env.dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'warn' } });
    expect(output).toMatch(/\r\[#+\] +\d+\/\d+ 100% {2}redis-enterprise: converging every user/);
  });
});
