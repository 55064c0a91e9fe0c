import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncState } from '../../src/directory/store.js';
import type { ConnectionStatus } from '../../src/commands/summary.js';
import { holdJobs } from '../store/fixtures.js';
import { startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge status`: counts per connection from the store alone (the targets here do not even exist). */

describe('scim-bridge status', () => {
  let env: CliEnv;
  const held = 'mass-deprovisioning guard: more than 10 of 12 managed accounts would lose access within 5 min';

  beforeAll(async () => {
    env = await startCliEnv({ types: ['redis-enterprise', 'yardstik'], deadTargets: true });
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push(await env.createUser('redis-enterprise', `u${n}@example.com`));
    const now = Date.now();
    const state = (userId: string, status: SyncState['status'], lastError: SyncState['lastError'] = null): SyncState => ({
      connection: 'redis-enterprise', userId, status, targetId: null, targetEmail: null, role: null, isManaged: false,
      accountStatus: 'absent', lastError, lastSyncAt: null, updatedAt: now,
    });
    const [u1, u2, u3, u4] = ids as [string, string, string, string, string];
    await env.store.putSyncState(state(u1, 'synced'));
    await env.store.putSyncState(state(u2, 'failed', { code: 'TARGET_REJECTED', message: 'the target refused the name' }));
    await env.store.putSyncState(state(u3, 'failed', { code: 'TARGET_REJECTED', message: 'the target refused the name' }));
    await env.store.putSyncState(state(u4, 'unsupported', { code: 'UNSUPPORTED_OPERATION', message: 'this target cannot change emails' }));
    await holdJobs(env.store, 'redis-enterprise', [u2], held);
  });
  afterAll(() => env.close());

  it('gives the figures as JSON', async () => {
    const result = await env.run('status', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { connections } = JSON.parse(result.stdout) as { connections: ConnectionStatus[] };
    expect(connections.map((c) => c.connection)).toEqual(['redis-enterprise', 'yardstik']);
    const [re, yardstik] = connections;
    // u5 has no sync state yet: pending.
    expect(re).toMatchObject({ users: 5, synced: 1, pending: 1, failed: 2, unsupported: 1, held: 1, queue: { pending: 4, held: 1 } });
    expect(re?.queue.oldestAgeMs).toEqual(expect.any(Number));
    expect(re?.topErrors[0]).toEqual({ code: 'TARGET_REJECTED', message: 'the target refused the name', count: 2 });
    expect(re?.heldReasons).toEqual([{ reason: held, count: 1 }]);
    expect(yardstik).toMatchObject({ users: 0, synced: 0, pending: 0, failed: 0, held: 0, queue: { pending: 0, held: 0, oldestAgeMs: null } });
  });

  it('prints a table, the top problems and the held jobs', async () => {
    const result = await env.run('status');
    expect(result.code).toBe(0);
    const [header, re, yardstik] = result.stdout.split('\n');
    expect(header).toMatch(/^CONNECTION\s+TYPE\s+MODE\s+USERS\s+SYNCED\s+PENDING\s+FAILED\s+UNSUPPORTED\s+HELD\s+QUEUE\s+OLDEST JOB$/);
    expect(re).toMatch(/^redis-enterprise\s+redis-enterprise\s+eventual\s+5\s+1\s+1\s+2\s+1\s+1\s+4\s+\d+(ms|s)$/);
    expect(yardstik).toMatch(/^yardstik\s+yardstik\s+eventual\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+-$/);
    expect(result.stdout).toContain('redis-enterprise: top problems\n      2 × TARGET_REJECTED: the target refused the name\n      1 × UNSUPPORTED_OPERATION: this target cannot change emails');
    expect(result.stdout).toContain(`redis-enterprise: 1 held job(s) waiting for approval\n      1 × ${held}\n  release them with: scim-bridge approve --connection redis-enterprise`);
  });

  it('shows one connection with --connection', async () => {
    const result = await env.run('status', '--connection', 'yardstik', '--json');
    expect((JSON.parse(result.stdout) as { connections: ConnectionStatus[] }).connections.map((c) => c.connection)).toEqual(['yardstik']);
  });
});
