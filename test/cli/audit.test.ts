import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge audit`: the decision audit log, readable and as JSON lines. */

interface ExportLine {
  id: number;
  at: string;
  connection: string;
  userId: string;
  userName: string | null;
  requestIds: string[];
  decision: { outcome: string; calls: { op: string; ok: boolean }[]; decision: { kind: string } };
}

describe('scim-bridge audit', () => {
  let env: CliEnv;
  let ada = '';

  beforeAll(async () => {
    env = await startCliEnv({ types: ['redis-enterprise', 'yardstik'] });
    ada = await env.createUser('redis-enterprise', 'ada@example.com');
    await env.createUser('redis-enterprise', 'bob@example.com');
    await env.createUser('yardstik', 'yan@example.com');
    const sync = await env.run('sync');
    expect(sync.code).toBe(0);
    await env.store.appendAudit([
      {
        at: Date.now(),
        connection: 'redis-enterprise',
        userId: 'a-user-purged-long-ago',
        requestIds: ['req-gone'],
        decision: { decision: { kind: 'absent', reason: 'deleted: delete=delete', profile: { email: 'ghost@example.com' } }, calls: [], outcome: 'synced' },
      },
    ]);
  });
  afterAll(() => env.close());

  it('exports JSON lines: one record per line and nothing else on stdout', async () => {
    const result = await env.run('audit', '--jsonl');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as ExportLine);
    expect(records.length).toBeGreaterThanOrEqual(4);
    for (const record of records) {
      expect(record).toMatchObject({ id: expect.any(Number), connection: expect.any(String), userId: expect.any(String), requestIds: expect.any(Array) });
      expect(new Date(record.at).toISOString()).toBe(record.at);
    }
    const created = records.find((r) => r.userId === ada && r.decision.calls.some((c) => c.op === 'create'));
    expect(created).toMatchObject({ connection: 'redis-enterprise', userName: 'ada@example.com', requestIds: ['req-1'], decision: { outcome: 'synced', decision: { kind: 'present' } } });
    // Newest first.
    const times = records.map((r) => r.at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('shows one user readably: requests, decision, plan, calls, outcome', async () => {
    const result = await env.run('audit', '--user', 'ada@example.com');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z {2}redis-enterprise {2}ada@example\\.com {2}\\(user ${ada}\\)\\n {2}requests {2}req-1\\n`));
    expect(result.stdout).toContain('  decision  present: default → db_viewer\n');
    expect(result.stdout).toContain('  plan      converge: create with role db_viewer\n');
    expect(result.stdout).toMatch(/ {2}call {6}create ada@example\.com as db_viewer → ok \(\d+ms\)\n/);
    expect(result.stdout).toContain('  outcome   synced\n');
    expect(result.stdout).not.toContain('bob@example.com');
  });

  it('filters by connection, time and count', async () => {
    const yardstik = await env.run('audit', '--connection', 'yardstik', '--jsonl');
    expect(yardstik.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as ExportLine).connection)).toEqual(expect.arrayContaining(['yardstik']));
    expect(yardstik.stdout).not.toContain('"connection":"redis-enterprise"');
    const one = await env.run('audit', '--limit', '1', '--jsonl');
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(one.stderr).toContain('stopped at --limit 1; there may be older records');
    const future = await env.run('audit', '--since', '2999-01-01');
    expect(future.code).toBe(0);
    expect(future.stdout).toBe('no audit records match\n');
  });

  it('finds a user gone from the directory by the email in the records', async () => {
    const result = await env.run('audit', '--user', 'ghost@example.com', '--jsonl');
    const records = result.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
    expect(records.map((r) => r.userId)).toEqual(['a-user-purged-long-ago']);
  });

  it('rejects a time that is not ISO 8601', async () => {
    const result = await env.run('audit', '--since', 'yesterday');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('expected an ISO 8601 date or time');
  });
});
