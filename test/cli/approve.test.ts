import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../src/commands/summary.js';
import { ctx } from '../store/fixtures.js';
import { startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge approve` releases held jobs, and `status` shows them held before; on SQLite and PostgreSQL. */

describe.each(['sqlite', 'postgres'] as const)('scim-bridge approve (%s)', (kind) => {
  let env: CliEnv;
  const ids = new Map<string, string>();
  const reason = 'mass-deprovisioning guard: more than 10 of 40 managed accounts would lose access within 5 min';
  const heldUsers = async (): Promise<string[]> => (await env.store.listJobs('redis-enterprise', { held: true })).map((j) => j.userId).sort();

  beforeAll(async () => {
    env = await startCliEnv({ types: ['redis-enterprise', 'yardstik'], store: kind, deadTargets: true });
    for (const name of ['ann@example.com', 'ben@example.com', 'cat@example.com', 'dan@example.com']) ids.set(name, await env.createUser('redis-enterprise', name));
    // cat was deleted in the IdP: the guard holds removals, so held users are often tombstones.
    await env.store.deleteUser('redis-enterprise', ids.get('cat@example.com') as string, {}, ctx('req-delete-cat'));
    await env.store.holdJobs('redis-enterprise', ['ann', 'ben', 'cat'].map((n) => ids.get(`${n}@example.com`) as string), reason);
  });
  afterAll(() => env.close());

  it('status shows the held jobs and why', async () => {
    const result = await env.run('status', '--json');
    expect(result.code).toBe(0);
    const [re] = (JSON.parse(result.stdout) as { connections: ConnectionStatus[] }).connections;
    expect(re).toMatchObject({ users: 3, held: 3, queue: { pending: 1, held: 3 }, heldReasons: [{ reason, count: 3 }] });
  });

  it('releases one user by userName and says what happens next', async () => {
    const ann = ids.get('ann@example.com') as string;
    const result = await env.run('approve', '--connection', 'redis-enterprise', '--user', 'ann@example.com');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`released 1 held job in redis-enterprise:\n  ann@example.com (${ann})\n`);
    expect(result.stdout).toContain('the worker of a running bridge picks them up');
    expect(result.stdout).toContain('scim-bridge sync --connection redis-enterprise');
    expect(await heldUsers()).toEqual([ids.get('ben@example.com'), ids.get('cat@example.com')].sort());
    const released = (await env.store.listJobs('redis-enterprise')).find((j) => j.userId === ann);
    expect(released).toMatchObject({ reason: 'approved', heldReason: null });
  });

  it('releases a user deleted in the IdP by userName', async () => {
    const result = await env.run('approve', '--connection', 'redis-enterprise', '--user', 'CAT@example.com');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`released 1 held job in redis-enterprise:\n  cat@example.com (${ids.get('cat@example.com')})\n`);
    expect(await heldUsers()).toEqual([ids.get('ben@example.com')]);
  });

  it('exits 1 for a user with no held job, and releases nothing', async () => {
    const result = await env.run('approve', '--connection', 'redis-enterprise', '--user', 'dan@example.com', '--user', 'nobody@example.com');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('dan@example.com: no held job in redis-enterprise');
    expect(result.stdout).toContain('nobody@example.com: no held job in redis-enterprise');
    expect(await heldUsers()).toHaveLength(1);
  });

  it('releases every remaining held job of the connection, as JSON', async () => {
    const result = await env.run('approve', '--connection', 'redis-enterprise', '--json');
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { connection: string; released: number; users: { userName: string; reason: string }[] };
    expect(body).toMatchObject({ connection: 'redis-enterprise', released: 1 });
    expect(body.users.map((u) => u.userName)).toEqual(['ben@example.com']);
    expect(body.users[0]?.reason).toBe(reason);
    expect(await heldUsers()).toEqual([]);
    const again = await env.run('approve', '--connection', 'redis-enterprise');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no held jobs released in redis-enterprise');
  });

  it('requires --connection', async () => {
    const result = await env.run('approve');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("required option '--connection <name>' not specified");
  });
});
