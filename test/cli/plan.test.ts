import express from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Simulator, SimRequestRecord } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import type { ConnectionPlan } from '../../src/commands/plan.js';
import { ctx, userInput } from '../store/fixtures.js';
import { simGet, simPost, startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge plan`: what convergence would do for every user, and not one write to any target. */

/** Records every GraphQL document that reaches the Paradime simulator (its request log only has method and path). */
function recordGraphql(documents: string[]) {
  return (simulator: Simulator): Simulator => {
    const app = express();
    app.use(express.json());
    app.use((req, _res, next) => {
      if (req.path.endsWith('/graphql')) documents.push(String((req.body as { query?: unknown } | undefined)?.query ?? ''));
      next();
    });
    app.use(simulator.app);
    return {
      type: simulator.type,
      app,
      controls: simulator.controls,
      credentials: simulator.credentials,
      targetUrl: (servedAt) => simulator.targetUrl(servedAt),
      close: () => simulator.close(),
    };
  };
}

describe('scim-bridge plan', () => {
  let env: CliEnv;
  const graphql: string[] = [];
  const sim = (type: ConnectorType): RunningSimulator => env.sims.get(type) as RunningSimulator;

  beforeAll(async () => {
    env = await startCliEnv({ types: ['redis-enterprise', 'paradime', 'yardstik', 'redis-cloud'], wrap: { paradime: recordGraphql(graphql) } });
    const { store } = env;
    await simPost(sim('redis-enterprise'), 'seed', {
      users: ['promo@example.com', 'same@example.com', 'gone@example.com', 'off@example.com'].map((email) => ({ email, name: email.split('@')[0], role: 'db_viewer' })),
    });
    await env.createUser('redis-enterprise', 'new@example.com');
    const promo = await env.createUser('redis-enterprise', 'promo@example.com');
    await env.createUser('redis-enterprise', 'same@example.com');
    await env.createUser('redis-enterprise', 'off@example.com', { active: false });
    await store.createGroup('redis-enterprise', { displayName: 'Redis Admins', externalId: null, attributes: {}, members: [promo] }, ctx());
    const gone = await env.createUser('redis-enterprise', 'gone@example.com');
    const state = await simGet<{ users: { uid: number; email: string }[] }>(sim('redis-enterprise'), 'state');
    const goneUid = String(state.users.find((u) => u.email === 'gone@example.com')?.uid);
    const now = Date.now();
    await store.putSyncState({
      connection: 'redis-enterprise', userId: gone, status: 'synced', targetId: goneUid, targetEmail: 'gone@example.com', role: 'db_viewer',
      isManaged: true, accountStatus: 'active', lastError: null, lastSyncAt: now, updatedAt: now,
    });
    await store.deleteUser('redis-enterprise', gone, {}, ctx());

    await simPost(sim('paradime'), 'seed', { users: [{ email: 'boss@example.com', accountType: 'DEVELOPER' }] });
    await env.createUser('paradime', 'invitee@example.com');
    const boss = await env.createUser('paradime', 'boss@example.com');
    await store.createGroup('paradime', { displayName: 'Paradime Admins', externalId: null, attributes: {}, members: [boss] }, ctx());

    await simPost(sim('yardstik'), 'seed', { users: [{ email_address: 'temp@example.com', first_name: 'Temp', last_name: 'Worker' }] });
    await env.createUser('yardstik', 'member@example.com');
    const temp = await env.createUser('yardstik', 'temp@example.com');
    await store.createGroup('yardstik', { displayName: 'Contractors', externalId: null, attributes: {}, members: [temp] }, ctx());

    await env.createUser('redis-cloud', 'cloud@example.com');
  });
  afterAll(() => env.close());

  it('plans every user, tombstones included, and writes nothing to any target', async () => {
    const types = ['redis-enterprise', 'paradime', 'yardstik', 'redis-cloud'] as const;
    const before = await Promise.all(types.map((t) => simGet(sim(t), 'state')));
    const jobsBefore = await env.store.jobStats();
    const result = await env.run('plan', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { connections } = JSON.parse(result.stdout) as { connections: ConnectionPlan[] };
    const byName = new Map(connections.map((c) => [c.connection, c]));
    const user = (connection: string, userName: string) => byName.get(connection)?.users.find((u) => u.userName === userName);

    expect(byName.get('redis-enterprise')?.totals).toMatchObject({ users: 5, creates: 1, updates: 1, removals: 2, inSync: 1, errors: 0 });
    expect(user('redis-enterprise', 'new@example.com')).toMatchObject({ decision: { kind: 'present', role: 'db_viewer' }, account: null, plan: { kind: 'converge', steps: [{ op: 'create' }] } });
    expect(user('redis-enterprise', 'promo@example.com')).toMatchObject({
      decision: { kind: 'present', role: 'admin', rule: 0 },
      account: { email: 'promo@example.com', role: 'db_viewer', status: 'active' },
      plan: { steps: [{ op: 'update', detail: 'update role to admin' }], removal: false },
    });
    expect(user('redis-enterprise', 'same@example.com')?.plan).toMatchObject({ kind: 'converge', summary: 'in sync', steps: [] });
    expect(user('redis-enterprise', 'gone@example.com')).toMatchObject({ deleted: true, decision: { kind: 'absent' }, plan: { steps: [{ op: 'delete' }], removal: true } });
    expect(user('redis-enterprise', 'off@example.com')).toMatchObject({ active: false, plan: { steps: [{ op: 'update', detail: 'update role to none' }], removal: true } });
    expect(byName.get('paradime')?.totals).toMatchObject({ users: 2, creates: 1, updates: 1 });
    expect(user('paradime', 'boss@example.com')?.plan?.steps).toEqual([{ op: 'update', detail: 'update role to ADMIN' }]);
    expect(byName.get('yardstik')?.totals).toMatchObject({ users: 2, creates: 1, removals: 1 });
    expect(byName.get('redis-cloud')?.totals).toMatchObject({ users: 1, creates: 1 });

    // Nothing was written: the targets hold what they held, only reads reached them, the queue is untouched.
    const after = await Promise.all(types.map((t) => simGet(sim(t), 'state')));
    expect(after).toEqual(before);
    for (const type of ['redis-enterprise', 'yardstik', 'redis-cloud'] as const) {
      const requests = await simGet<SimRequestRecord[]>(sim(type), 'requests');
      expect(requests.length, type).toBeGreaterThan(0);
      expect(requests.filter((r) => r.method !== 'GET'), type).toEqual([]);
    }
    expect(graphql.length).toBeGreaterThan(0);
    expect(graphql.filter((doc) => !/^\s*query\b/.test(doc) || !doc.includes('listUsers'))).toEqual([]);
    expect(await env.store.jobStats()).toEqual(jobsBefore.map((s) => ({ ...s, oldestAgeMs: expect.any(Number) })));
    // The two removals planned were not counted in the mass-deprovisioning guard's window (this probe is its first event).
    expect(await env.store.countInWindow('removal-guard:redis-enterprise', { windowMs: 3_600_000, limit: 100 })).toMatchObject({ counted: true, count: 1 });
  });

  it('prints a readable plan per user with totals, for one connection', async () => {
    const result = await env.run('plan', '--connection', 'redis-enterprise');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('redis-enterprise (redis-enterprise): 5 users');
    expect(result.stdout).not.toContain('paradime');
    expect(result.stdout).toMatch(/promo@example\.com\n\s+decision\s+present: group "Redis Admins" → admin \(roles\.rules\[0\]\)\n\s+account\s+active, id \d+, promo@example\.com, role db_viewer\n\s+plan\s+set role to admin\n/);
    expect(result.stdout).toMatch(/gone@example\.com {2}\[deleted in the IdP\]\n\s+decision\s+absent: deleted: delete=delete/);
    expect(result.stdout).toContain('totals: 1 create, 1 update, 2 removals, 0 waits, 0 unsupported, 1 in sync');
    const order = ['gone', 'new', 'off', 'promo', 'same'].map((n) => result.stdout.indexOf(`\n  ${n}@example.com`));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(result.stdout).toContain('dry run: nothing was written to any target');
  });

  it('says which target it cannot read and exits 1', async () => {
    await simPost(sim('redis-cloud'), 'faults', { kind: 'status', status: 401, count: 10 });
    const result = await env.run('plan', '--connection', 'redis-cloud');
    await fetch(`${sim('redis-cloud').url}/_sim/faults`, { method: 'DELETE' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ERROR TARGET_AUTH: cannot read the target: /);
  });
});

/** The refusals and holds the worker would decide (sync/safety.ts admitPlan), shown by the plan for the users they affect. */
describe('scim-bridge plan: what the worker would refuse or hold', () => {
  let env: CliEnv;
  let holder: string;
  const sim = (type: ConnectorType): RunningSimulator => env.sims.get(type) as RunningSimulator;
  const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const mapping = readFileSync(path.join(appRoot, 'mappings', 'redis-enterprise.yaml'), 'utf8').replace(/emails: \[\]/, 'emails: [keep@example.com]');

  beforeAll(async () => {
    env = await startCliEnv({ types: ['redis-enterprise', 'paradime'], mappings: { 'redis-enterprise': mapping } });
    const { store } = env;
    await simPost(sim('redis-enterprise'), 'seed', {
      users: ['holder@example.com', 'keep@example.com'].map((email) => ({ email, name: email.split('@')[0], role: 'db_member' })),
    });
    holder = await env.createUser('redis-enterprise', 'holder@example.com');
    const state = await simGet<{ users: { uid: number; email: string }[] }>(sim('redis-enterprise'), 'state');
    const holderUid = String(state.users.find((u) => u.email === 'holder@example.com')?.uid);
    const now = Date.now();
    await store.putSyncState({
      connection: 'redis-enterprise', userId: holder, status: 'synced', targetId: holderUid, targetEmail: 'holder@example.com', role: 'db_viewer',
      isManaged: true, accountStatus: 'active', lastError: null, lastSyncAt: now, updatedAt: now,
    });
    // A second SCIM user (an admin identity, say) with the holder's email.
    const emails = [{ value: 'holder@example.com', type: 'work', primary: true }];
    await store.createUser('redis-enterprise', userInput('twin-admin@example.com', { emails }), ctx());
    // The user whose credentials the bridge uses, and one listed in protected.emails.
    await env.createUser('redis-enterprise', 'admin@sandbox.local');
    await env.createUser('redis-enterprise', 'keep@example.com');
    // Paradime's sandbox admin is its lone ADMIN: demoting them waits for approval.
    await env.createUser('paradime', 'admin@sandbox.local');
  });
  afterAll(() => env.close());

  it('shows the conflict, the protected accounts and the last-admin hold per user, and writes nothing', async () => {
    const before = await Promise.all((['redis-enterprise', 'paradime'] as const).map((t) => simGet(sim(t), 'state')));
    const result = await env.run('plan', '--json');
    expect(result.stderr).toBe('');
    const { connections } = JSON.parse(result.stdout) as { connections: ConnectionPlan[] };
    const user = (connection: string, userName: string) => connections.find((c) => c.connection === connection)?.users.find((u) => u.userName === userName);

    expect(user('redis-enterprise', 'twin-admin@example.com')?.plan).toMatchObject({
      kind: 'refused',
      code: 'TARGET_CONFLICT',
      summary: expect.stringContaining(`holder@example.com is already linked to SCIM user ${holder}`),
      steps: [],
    });
    expect(user('redis-enterprise', 'holder@example.com')?.plan).toMatchObject({ kind: 'converge', steps: [{ op: 'update' }] });
    expect(user('redis-enterprise', 'admin@sandbox.local')).toMatchObject({
      account: { email: 'admin@sandbox.local', protection: 'api-key-user' },
      plan: { kind: 'refused', code: 'PROTECTED_ACCOUNT', steps: [] },
    });
    expect(user('redis-enterprise', 'keep@example.com')?.plan).toMatchObject({ kind: 'protected', steps: [] });
    expect(user('paradime', 'admin@sandbox.local')).toMatchObject({
      account: { protection: 'last-admin' },
      plan: { kind: 'held', summary: expect.stringMatching(/last admin.*scim-bridge approve --connection paradime/), steps: [{ op: 'update' }] },
    });
    expect(connections.find((c) => c.connection === 'redis-enterprise')?.totals).toMatchObject({ users: 4, refused: 2, protected: 1, updates: 1 });
    expect(connections.find((c) => c.connection === 'paradime')?.totals).toMatchObject({ users: 1, held: 1 });
    expect(await Promise.all((['redis-enterprise', 'paradime'] as const).map((t) => simGet(sim(t), 'state')))).toEqual(before);
  });

  it('prints the refusal and the hold in the readable plan', async () => {
    const result = await env.run('plan');
    expect(result.stdout).toMatch(/twin-admin@example\.com\n(.*\n)*?\s+plan\s+refused, TARGET_CONFLICT: holder@example\.com is already linked to SCIM user /);
    expect(result.stdout).toMatch(/admin@sandbox\.local\n(.*\n)*?\s+plan\s+refused, PROTECTED_ACCOUNT: admin@sandbox\.local is protected/);
    expect(result.stdout).toMatch(/plan\s+held: admin@sandbox\.local is the last admin of the target.*\(once approved: update role to DEVELOPER\)/);
    expect(result.stdout).toContain('2 refused');
    expect(result.stdout).toContain('1 held');
  });
});
