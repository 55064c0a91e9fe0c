import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../src/commands/summary.js';
import { ctx, holdJobs } from '../store/fixtures.js';
import { startCliEnv, type CliEnv } from './cli-env.js';

/**
 * `scim-bridge held` lists what is held (for whom, why, since when, what releasing it would do),
 * `approve --dry-run` changes nothing, `approve --by` records who approved, and approving leaves
 * no user shown as `held` (the sync states /status counts); on SQLite and PostgreSQL.
 */

interface HeldJson {
  connection: string;
  held: { userId: string; userName: string | null; reason: string; since: string; action: string | null; account: { email: string; role: string | null } | null }[];
}

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
    await holdJobs(env.store, 'redis-enterprise', ['ann', 'ben', 'cat'].map((n) => ids.get(`${n}@example.com`) as string), reason);
    // As the worker leaves a hold: the user's state says held, and the audit record has the plan.
    const ben = ids.get('ben@example.com') as string;
    await env.store.putSyncState({ connection: 'redis-enterprise', userId: ben, status: 'held', targetId: '7', targetEmail: 'ben@example.com', role: 'db_viewer', isManaged: true, accountStatus: 'active', lastError: { code: 'HELD', message: reason }, lastSyncAt: null, updatedAt: Date.now() });
    await env.store.appendAudit([{ at: Date.now(), connection: 'redis-enterprise', userId: ben, requestIds: ['req-off-ben'], decision: { plan: { kind: 'converge', summary: 'delete the account' }, before: { id: '7', email: 'ben@example.com', role: 'db_viewer', status: 'active' }, calls: [], outcome: 'held', error: { code: 'HELD', message: reason } } }]);
  });
  afterAll(() => env.close());

  it('status shows the held jobs and why', async () => {
    const result = await env.run('status', '--json');
    expect(result.code).toBe(0);
    const [re] = (JSON.parse(result.stdout) as { connections: ConnectionStatus[] }).connections;
    expect(re).toMatchObject({ users: 3, held: 3, queue: { pending: 1, held: 3 }, heldReasons: [{ reason, count: 3 }] });
  });

  it('held lists what is held, for whom, why, since when and what releasing it would do', async () => {
    const ben = ids.get('ben@example.com') as string;
    const json = await env.run('held', '--connection', 'redis-enterprise', '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as HeldJson;
    expect(body.connection).toBe('redis-enterprise');
    expect(body.held.map((h) => h.userName).sort()).toEqual(['ann@example.com', 'ben@example.com', 'cat@example.com']);
    for (const h of body.held) {
      expect(h.reason).toBe(reason);
      expect(Math.abs(Date.parse(h.since) - Date.now())).toBeLessThan(120_000);
    }
    expect(body.held.find((h) => h.userId === ben)).toMatchObject({ action: 'delete the account', account: { email: 'ben@example.com', role: 'db_viewer' } });
    const text = await env.run('held', '--connection', 'redis-enterprise');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('3 held jobs in redis-enterprise:');
    expect(text.stdout).toMatch(/ben@example\.com\s+\S+\s+delete the account\s+ben@example\.com \(db_viewer\)\s+\d{4}-\d\d-\d\dT/);
    expect(text.stdout).toContain(`#1 ${reason}`);
    const none = await env.run('held', '--connection', 'yardstik');
    expect(none.stdout).toBe('nothing is held in yardstik\n');
  });

  it('approve --dry-run lists what would be released and changes nothing', async () => {
    const before = await heldUsers();
    const result = await env.run('approve', '--connection', 'redis-enterprise', '--dry-run', '--user', 'ben@example.com');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('dry run: approving would release 1 held job in redis-enterprise (nothing was changed):');
    expect(result.stdout).toContain('delete the account');
    expect(result.stdout).not.toContain('ann@example.com');
    const all = JSON.parse((await env.run('approve', '--connection', 'redis-enterprise', '--dry-run', '--json')).stdout) as { dryRun: boolean; released: number; users: unknown[] };
    expect(all).toMatchObject({ dryRun: true, released: 0 });
    expect(all.users).toHaveLength(3);
    expect(await heldUsers()).toEqual(before);
    expect((await env.store.listAudit({ connection: 'redis-enterprise' })).some((r) => r.decision.outcome === 'approved')).toBe(false);
  });

  it('releases one user by userName, records who approved, and says what happens next', async () => {
    const ann = ids.get('ann@example.com') as string;
    const result = await env.run('approve', '--connection', 'redis-enterprise', '--user', 'ann@example.com', '--by', 'Pat Admin');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`released 1 held job in redis-enterprise, approved by Pat Admin:\n  ann@example.com (${ann})\n`);
    const [approval] = await env.store.listAudit({ connection: 'redis-enterprise', userId: ann });
    expect(approval?.decision).toMatchObject({ outcome: 'approved', approvedBy: 'Pat Admin', heldReason: reason });
    expect((await env.store.listJobs('redis-enterprise')).find((j) => j.userId === ann)).toMatchObject({ approvedBy: 'Pat Admin' });
    const audit = await env.run('audit', '--connection', 'redis-enterprise', '--user', 'ann@example.com');
    expect(audit.stdout).toContain('approved by Pat Admin');
    expect(result.stdout).toContain('the worker of a running bridge picks them up');
    expect(result.stdout).toContain('scim-bridge sync --connection redis-enterprise');
    expect(await heldUsers()).toEqual([ids.get('ben@example.com'), ids.get('cat@example.com')].sort());
    const released = (await env.store.listJobs('redis-enterprise')).find((j) => j.userId === ann);
    expect(released).toMatchObject({ reason: 'approved', heldReason: null });
  });

  it('releases a user deleted in the IdP by userName', async () => {
    const result = await env.run('approve', '--connection', 'redis-enterprise', '--user', 'CAT@example.com');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`released 1 held job in redis-enterprise, approved by [^:]+:\\n  cat@example\\.com \\(${ids.get('cat@example.com')}\\)\\n`));
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
    // Nothing is shown held any more: /status counts sync states, and ben's said held.
    expect((await env.store.syncSummary('redis-enterprise')).byStatus.held).toBe(0);
    expect((await env.store.getSyncStates('redis-enterprise', [ids.get('ben@example.com') as string]))[0]?.status).toBe('pending');
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
