import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimRequestRecord } from '../../src/connectors/simulator-kit.js';
import { holdJobs } from '../store/fixtures.js';
import { hasStackTrace, simGet, simPost, startCliEnv, type CliEnv } from './cli-env.js';

/**
 * `scim-bridge unmanaged`: lists the target accounts no SCIM user stands behind, saves the
 * report, changes nothing; `--stored` prints the saved report without calling the target; with
 * `unmanaged: remove`, `scim-bridge sync` removes them. On SQLite and PostgreSQL.
 */

const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const removing = `${readFileSync(path.join(appRoot, 'mappings', 'redis-enterprise.yaml'), 'utf8')}\nunmanaged: remove\n`;

interface JsonReport {
  connection: string;
  at: number | null;
  policy: string | null;
  total: number | null;
  accounts: { email: string; action: string; removal: string | null; accountStatus: string; firstSeenAt: number }[];
}

describe.each(['sqlite', 'postgres'] as const)('scim-bridge unmanaged (%s)', (kind) => {
  let env: CliEnv;
  const writes = async (type: 'yardstik' | 'redis-enterprise'): Promise<SimRequestRecord[]> =>
    (await simGet<SimRequestRecord[]>(env.sims.get(type)!, 'requests')).filter((r) => r.method !== 'GET');

  beforeAll(async () => {
    env = await startCliEnv({ types: ['yardstik', 'redis-enterprise'], store: kind, mappings: { 'redis-enterprise': removing } });
    await simPost(env.sims.get('yardstik')!, 'seed', { users: [{ email_address: 'stray@example.com' }, { email_address: 'matched@example.com' }] });
    await simPost(env.sims.get('redis-enterprise')!, 'seed', { users: [{ email: 'leftover@example.com', name: 'Left Over' }] });
    // A SCIM user whose email an account has: about to be linked, not unmanaged.
    await env.createUser('yardstik', 'matched@example.com');
  });
  afterAll(() => env.close());

  it('says there is no report before the first, without calling the target', async () => {
    const result = await env.run('unmanaged', '--connection', 'yardstik', '--stored');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('yardstik: no report yet');
    expect((await simGet<SimRequestRecord[]>(env.sims.get('yardstik')!, 'requests')).length).toBe(0);
  });

  it('lists the accounts nobody manages, never protected or matched ones, and changes nothing', async () => {
    const result = await env.run('unmanaged', '--connection', 'yardstik');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('yardstik: 1 target account nobody manages');
    expect(result.stdout).toContain('unmanaged: report: they are reported and left alone');
    expect(result.stdout).toMatch(/^stray@example\.com\s+member\s+active\s+reported\s+\d{4}-/m);
    expect(result.stdout).not.toContain('owner@sandbox.local');
    expect(result.stdout).not.toContain('matched@example.com');
    expect(await writes('yardstik')).toEqual([]);
    expect(await env.store.listJobs('yardstik')).toEqual([expect.objectContaining({ reason: 'user.created' })]);
  });

  it('prints the saved report as JSON with --stored, without calling the target', async () => {
    const before = (await simGet<SimRequestRecord[]>(env.sims.get('yardstik')!, 'requests')).length;
    const result = await env.run('unmanaged', '--connection', 'yardstik', '--stored', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report).toMatchObject({ connection: 'yardstik', policy: 'report', total: 1, accounts: [{ email: 'stray@example.com', action: 'report', removal: null, accountStatus: 'active' }] });
    expect((await simGet<SimRequestRecord[]>(env.sims.get('yardstik')!, 'requests')).length).toBe(before);
    const status = await env.run('status', '--connection', 'yardstik');
    expect(status.stdout).toContain('yardstik: 1 target account(s) nobody manages at the last reconcile; list them with: scim-bridge unmanaged --connection yardstik');
  });

  it('with unmanaged: remove, lists without removing', async () => {
    const listed = await env.run('unmanaged', '--connection', 'redis-enterprise', '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as JsonReport).accounts).toEqual([expect.objectContaining({ email: 'leftover@example.com', action: 'remove', removal: null })]);
    expect(await writes('redis-enterprise')).toEqual([]);
    const text = await env.run('unmanaged', '--connection', 'redis-enterprise');
    expect(text.stdout).toMatch(/leftover@example\.com .* removed at the next reconcile/);
  });

  // Three CLI processes, each a reconcile of a fresh process: give a loaded machine time.
  it('sync removes the account nobody manages once, and a second sync finds nothing to remove', { timeout: 90_000 }, async () => {
    const sync = await env.run('sync', '--connection', 'redis-enterprise');
    expect(hasStackTrace(sync.stderr)).toBe(false);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('1 account nobody manages, 1 queued for removal');
    expect(sync.stdout).toMatch(/leftover@example\.com\s+deleted the account/);
    expect((await writes('redis-enterprise')).map((r) => r.method)).toEqual(['DELETE']);
    const again = await env.run('sync', '--connection', 'redis-enterprise');
    expect(again.code).toBe(0);
    expect((await writes('redis-enterprise')).map((r) => `${r.method} ${r.path}`)).toEqual([expect.stringMatching(/^DELETE \/v1\/users\/\d+$/)]);
    const after = JSON.parse((await env.run('unmanaged', '--connection', 'redis-enterprise', '--json')).stdout) as JsonReport;
    expect(after).toMatchObject({ policy: 'remove', total: 0, accounts: [] });
  });

  it('approve releases a held removal by the account\'s email', async () => {
    await env.store.enqueueAccountJobs('yardstik', ['unmanaged:stray@example.com']);
    await holdJobs(env.store, 'yardstik', ['unmanaged:stray@example.com'], 'mass-deprovisioning guard: test');
    const result = await env.run('approve', '--connection', 'yardstik', '--user', 'STRAY@example.com', '--by', 'alice');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('released 1 held job in yardstik, approved by alice:\n  stray@example.com (unmanaged:stray@example.com)\n');
    expect((await env.store.listJobs('yardstik')).find((j) => j.userId === 'unmanaged:stray@example.com')).toMatchObject({ reason: 'approved', heldReason: null });
  });

  it('refuses to run without --connection', async () => {
    const result = await env.run('unmanaged');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--connection');
  });
});
