import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { createYardstikClassifier, createYardstikClient } from '../../src/connectors/yardstik/client.js';
import { createYardstikConnector, yardstikUserBody } from '../../src/connectors/yardstik/connector.js';
import { definition } from '../../src/connectors/yardstik/index.js';
import { yardstikTargetSchema, type YardstikAccountUser, type YardstikGroupList } from '../../src/connectors/yardstik/schemas.js';
import { createYardstikSimulator, yardstikDefaultAccountId, type YardstikSimulatorOptions } from '../../src/connectors/yardstik/simulator.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { expectBridgeError, simControl, simRequests } from '../contract/connector-contract.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const users = `/accounts/${yardstikDefaultAccountId}/users`;
const deps = { logger: createSilentLogger(), timeoutMs: 2_000, retries: 1, backoffMs: 10 };

let sim: RunningSimulator;
const serve = (options: YardstikSimulatorOptions = {}): Promise<RunningSimulator> => serveSimulator(createYardstikSimulator(options));
const start = async (options: YardstikSimulatorOptions): Promise<void> => {
  await sim.close();
  sim = await serve(options);
};
beforeEach(async () => {
  sim = await serve();
});
afterEach(() => sim.close());

async function call(method: string, path: string, options: { body?: unknown; auth?: string | null; raw?: string } = {}) {
  const auth = options.auth === undefined ? 'Account sandbox' : options.auth;
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...(auth === null ? {} : { authorization: auth }), 'content-type': 'application/json' },
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> };
}
const createUser = async (email: string): Promise<YardstikAccountUser> =>
  (await call('POST', users, { body: { email_address: email, first_name: 'Grace', last_name: 'Hopper' } })).body as unknown as YardstikAccountUser;
const connect = (target: Record<string, unknown> = {}) =>
  createYardstikConnector(yardstikTargetSchema.parse({ url: sim.targetUrl, accountId: yardstikDefaultAccountId, apiKey: 'sandbox', ...target }), deps);

describe('yardstik simulator: auth', () => {
  it('accepts `Account <key>` and `User <key>` with the default key, and 401s anything else', async () => {
    expect((await call('GET', users)).status).toBe(200);
    expect((await call('GET', users, { auth: 'User sandbox' })).status).toBe(200);
    for (const auth of [null, 'Bearer sandbox', 'Account wrong', 'Account', 'sandbox']) {
      const answer = await call('GET', users, { auth });
      expect(answer.status, String(auth)).toBe(401);
      expect(answer.body).toEqual({ errors: [{ message: 'Unauthorized' }] });
    }
    expect((await call('GET', '/groups', { auth: null })).status).toBe(401);
  });

  it('answers 403 for another account id, and 404 with an errors body for unknown routes', async () => {
    const other = await call('GET', '/accounts/11111111-1111-4111-8111-111111111111/users');
    expect(other).toMatchObject({ status: 403, body: { errors: [{ message: 'Forbidden' }] } });
    expect(await call('GET', '/nowhere')).toMatchObject({ status: 404, body: { errors: [{ message: 'Not Found' }] } });
  });

  it('takes credentials, owner and accepted schemes from options', async () => {
    await start({ credentials: { apiKey: 'ys-opt-key', accountId: '22222222-2222-4222-8222-222222222222' }, ownerEmail: 'boss@corp.test', authSchemes: ['User'] });
    const path = '/accounts/22222222-2222-4222-8222-222222222222/users';
    expect((await call('GET', path, { auth: 'Account ys-opt-key' })).status).toBe(401);
    const list = await call('GET', path, { auth: 'User ys-opt-key' });
    expect(list.body.owner).toMatchObject({ email_address: 'boss@corp.test' });
  });

  it('exposes default credentials and serves target URLs as given', () => {
    const fresh = createYardstikSimulator();
    expect(fresh.credentials).toEqual({ accountId: yardstikDefaultAccountId, apiKey: 'sandbox', authScheme: 'Account' });
    expect(fresh.targetUrl('http://127.0.0.1:9/sandbox/yardstik')).toBe('http://127.0.0.1:9/sandbox/yardstik');
    fresh.close();
  });
});

describe('yardstik simulator: account users', () => {
  it('lists the owner apart from users, in the documented shapes', async () => {
    const created = await createUser('grace@example.com');
    const { status, body } = await call('GET', users);
    expect(status).toBe(200);
    expect(Object.keys(body.owner as object).sort()).toEqual(['email_address', 'first_name', 'id', 'last_name']);
    expect(body.owner).toMatchObject({ email_address: 'owner@sandbox.local', id: expect.stringMatching(uuid) });
    expect(body.users).toEqual([created]);
  });

  it('creates with 201 and a UUID, and answers 422 with field errors', async () => {
    const created = await call('POST', users, { body: { email_address: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', role: 'x' } });
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(uuid), email_address: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', group_memberships: [] } });
    expect(await call('POST', users, { body: { first_name: ' ' } })).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'email_address', message: "can't be blank" }, { field: 'first_name', message: "can't be blank" }, { field: 'last_name', message: "can't be blank" }] },
    });
    const invalid = await call('POST', users, { body: { email_address: 'nope', first_name: 'A', last_name: 'B' } });
    expect(invalid.body).toEqual({ errors: [{ field: 'email_address', message: 'is invalid' }] });
    for (const email of ['ADA@example.com', 'Owner@Sandbox.local']) {
      const duplicate = await call('POST', users, { body: { email_address: email, first_name: 'A', last_name: 'B' } });
      expect(duplicate).toMatchObject({ status: 422, body: { errors: [{ field: 'email_address', message: 'has already been taken' }] } });
    }
    expect((await call('POST', users, { raw: '{"email_address":' })).status).toBe(400);
  });

  it('gets, deletes (200 then 404) and protects the owner with 422', async () => {
    const user = await createUser('del@example.com');
    const owner = (await call('GET', users)).body.owner as { id: string };
    expect(await call('GET', `${users}/${user.id}`)).toMatchObject({ status: 200, body: user });
    expect((await call('GET', `${users}/${owner.id}`)).status).toBe(200);
    expect((await call('DELETE', `${users}/${user.id}`)).status).toBe(200);
    expect((await call('GET', `${users}/${user.id}`)).status).toBe(404);
    expect((await call('DELETE', `${users}/${user.id}`)).status).toBe(404);
    const refusal = await call('DELETE', `${users}/${owner.id}`);
    expect(refusal).toMatchObject({ status: 422, body: { errors: [{ message: expect.stringMatching(/owner/) }] } });
  });

  it('resets MFA with 204, 422 on the owner, 404 on an unknown user', async () => {
    const user = await createUser('mfa@example.com');
    const owner = (await call('GET', users)).body.owner as { id: string };
    expect((await call('POST', `${users}/${user.id}/reset-mfa`)).status).toBe(204);
    expect((await call('POST', `${users}/${owner.id}/reset-mfa`)).status).toBe(422);
    expect((await call('POST', `${users}/${crypto.randomUUID()}/reset-mfa`)).status).toBe(404);
    const state = (await simControl(sim, '/state', undefined, 'GET')) as { users: { mfaResets: number }[] };
    expect(state.users[0]?.mfaResets).toBe(1);
  });

  it('seeds memberships that show on users and groups, drops them with the user, and resets', async () => {
    const user = await createUser('member@example.com');
    await simControl(sim, '/seed', { groups: [{ label: 'Night Shift', members: ['MEMBER@example.com'] }] });
    const seen = (await call('GET', `${users}/${user.id}`)).body as unknown as YardstikAccountUser;
    const [membership] = seen.group_memberships;
    expect(membership).toMatchObject({ id: expect.stringMatching(uuid), account_user_id: user.id, created_at: expect.any(String), updated_at: expect.any(String) });
    expect(membership?.user).toEqual({ id: user.id, first_name: 'Grace', last_name: 'Hopper', email_address: 'member@example.com' });
    const groups = (await call('GET', '/groups')).body as unknown as YardstikGroupList;
    expect(groups.data[0]).toMatchObject({ id: membership?.group_id, name: 'night_shift', memberships: [membership] });
    await call('DELETE', `${users}/${user.id}`);
    expect(((await call('GET', '/groups')).body as unknown as YardstikGroupList).data[0]?.memberships).toEqual([]);
    await expect(simControl(sim, '/seed', { users: [{ email_address: 'not-an-email' }] })).rejects.toThrow(/400/);
    await simControl(sim, '/reset');
    expect((await call('GET', users)).body).toMatchObject({ users: [], owner: { email_address: 'owner@sandbox.local' } });
  });
});

describe('yardstik simulator: groups', () => {
  it('pages with page/per_page (default 25), orders, and filters on created_at', async () => {
    await simControl(sim, '/seed', { groups: Array.from({ length: 30 }, (_, i) => ({ label: `Group ${String(i).padStart(2, '0')}` })) });
    const first = (await call('GET', '/groups')).body as unknown as YardstikGroupList;
    expect(first).toMatchObject({ object: 'list', meta: { page: 1, per_page: 25, total_count: 30, total_pages: 2 } });
    expect(first.data).toHaveLength(25);
    const second = (await call('GET', '/groups?page=2')).body as unknown as YardstikGroupList;
    expect(second.data.map((g) => g.label)).toEqual(['Group 25', 'Group 26', 'Group 27', 'Group 28', 'Group 29']);
    const desc = (await call('GET', '/groups?order=desc&order_by=label&per_page=3')).body as unknown as YardstikGroupList;
    expect(desc.data.map((g) => g.label)).toEqual(['Group 29', 'Group 28', 'Group 27']);
    expect(desc.meta).toMatchObject({ per_page: 3, total_pages: 10 });
    expect(((await call('GET', '/groups?per_page=1000')).body as unknown as YardstikGroupList).meta.per_page).toBe(100);
    const future = (await call('GET', '/groups?query[created_at_gteq]=2999-01-01T00:00:00.000Z')).body as unknown as YardstikGroupList;
    expect(future.meta.total_count).toBe(0);
  });

  it('creates groups with 201, a generated unique name and defaults; 422 without a label or on a taken name', async () => {
    const created = await call('POST', '/groups', { body: { label: 'Hiring Team' } });
    expect(created).toMatchObject({
      status: 201,
      body: { object: 'group', id: expect.stringMatching(uuid), name: 'hiring_team', label: 'Hiring Team', description: null, enabled: true, send_notifications_to_members: false, notification_email_addresses: [], reports_count: 0, memberships: [] },
    });
    expect((await call('POST', '/groups', { body: { label: 'Hiring team' } })).body).toMatchObject({ name: 'hiring_team_2' });
    expect(await call('POST', '/groups', { body: {} })).toMatchObject({ status: 422, body: { errors: [{ field: 'label', message: "can't be blank" }] } });
    expect(await call('POST', '/groups', { body: { label: 'X', name: 'hiring_team' } })).toMatchObject({ status: 422, body: { errors: [{ field: 'name' }] } });
  });

  it('rate-limits with 429 and Retry-After when asked to', async () => {
    await start({ requestsPerSecond: 1 });
    expect((await call('GET', '/groups')).status).toBe(200);
    const limited = await call('GET', '/groups');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('works mounted under a prefix', async () => {
    const app = express();
    const mounted = createYardstikSimulator();
    app.use('/sandbox/yardstik', mounted.app);
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/yardstik`;
    const connector = createYardstikConnector(yardstikTargetSchema.parse({ url: mounted.targetUrl(base), accountId: yardstikDefaultAccountId, apiKey: 'sandbox' }), deps);
    try {
      await connector.createAccount({ email: 'prefixed@example.com', name: 'Pre Fixed', role: 'member' });
      expect(await connector.findByEmail('prefixed@example.com')).toMatchObject({ name: 'Pre Fixed', role: 'member' });
      const state = (await (await fetch(`${base}/_sim/state`)).json()) as { users: unknown[] };
      expect(state.users).toHaveLength(1);
    } finally {
      await connector.close();
      mounted.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('getAccount', () => {
  const requested = async (): Promise<string[]> => (await simRequests(sim)).map((r) => `${r.method} ${r.path}`);

  it('reads one user by id: the same account findByEmail gives, one call once the owner is known', async () => {
    const connector = connect();
    try {
      const user = await createUser('grace@example.com');
      await simControl(sim, '/requests', undefined, 'DELETE');
      const read = await connector.getAccount?.(user.id);
      // A fresh connector lists once to learn the owner's id (the user read by id does not say).
      expect(await requested()).toEqual([`GET ${users}/${user.id}`, `GET ${users}`]);
      expect(read).toEqual(await connector.findByEmail('grace@example.com'));
      await simControl(sim, '/requests', undefined, 'DELETE');
      expect(await connector.getAccount?.(user.id)).toEqual(read);
      expect(await requested()).toEqual([`GET ${users}/${user.id}`]);
    } finally {
      await connector.close();
    }
  });

  it("reads the owner's id with protection owner", async () => {
    const connector = connect();
    try {
      const owner = await connector.findByEmail('owner@sandbox.local');
      expect(owner?.protection).toBe('owner');
      expect(await connector.getAccount?.(owner?.id ?? '')).toEqual(owner);
      const fresh = connect();
      expect(await fresh.getAccount?.(owner?.id ?? '')).toEqual(owner);
      await fresh.close();
    } finally {
      await connector.close();
    }
  });

  it('reads a deleted user as null', async () => {
    const connector = connect();
    try {
      const created = await connector.createAccount({ email: 'gone@example.com', name: 'Gone User', role: 'member' });
      await connector.deleteAccount(created);
      expect(await connector.getAccount?.(created.id ?? '')).toBeNull();
      expect(await connector.getAccount?.(crypto.randomUUID())).toBeNull();
    } finally {
      await connector.close();
    }
  });

  it('answers null for an id that is not a UUID, without calling the target', async () => {
    const connector = connect();
    try {
      await simControl(sim, '/requests', undefined, 'DELETE');
      const ids = ['', '42', 'owner@sandbox.local', 'not-a-uuid', crypto.randomUUID().replaceAll('-', ''), `${crypto.randomUUID()}x`, '../users'];
      for (const id of ids) expect(await connector.getAccount?.(id), id).toBeNull();
      expect(await simRequests(sim)).toEqual([]);
    } finally {
      await connector.close();
    }
  });
});

describe('yardstik connector and client specifics', () => {
  it.each([
    [{ givenName: 'Ada', familyName: 'Lovelace', name: 'Someone Else' }, 'Ada', 'Lovelace'],
    [{ name: '  Grace  Brewster Hopper ' }, 'Grace', 'Brewster Hopper'],
    [{ givenName: 'Mary Ann', name: 'Mary Ann Evans' }, 'Mary Ann', 'Evans'],
    [{ familyName: 'Curie', name: 'Marie Curie' }, 'Marie', 'Curie'],
    [{ givenName: 'Jo', name: null }, 'Jo', 'c.sarkisian'],
    [{ name: 'Cher' }, 'Cher', 'c.sarkisian'],
    [{ givenName: ' ', familyName: '', name: null }, 'c.sarkisian', 'c.sarkisian'],
  ])('derives first and last names without empty strings: %j', (names, first, last) => {
    expect(yardstikUserBody({ email: 'c.sarkisian@example.com', role: 'member', ...names })).toEqual({ email_address: 'c.sarkisian@example.com', first_name: first, last_name: last });
  });

  it('reports the owner as protected, everyone as member, and maps the refusal to delete the owner', async () => {
    const connector = connect();
    try {
      const created = await connector.createAccount({ email: 'x@example.com', name: 'X Y', role: 'member' });
      const accounts = [];
      for await (const account of connector.listAccounts()) accounts.push(account);
      expect(accounts).toEqual([
        { id: expect.stringMatching(uuid), email: 'owner@sandbox.local', name: 'Sandbox Owner', role: 'member', status: 'active', protection: 'owner' },
        { ...created, role: 'member', status: 'active' },
      ]);
      const owner = accounts[0]!;
      // The connector only marks the owner; keeping the engine off it is src/sync/safety.ts's job.
      // Asked anyway, the target answers 422, classified as PROTECTED_ACCOUNT.
      await simControl(sim, '/requests', undefined, 'DELETE');
      expect((await expectBridgeError(() => connector.deleteAccount(owner))).code).toBe('PROTECTED_ACCOUNT');
      expect((await simRequests(sim)).map((r) => [r.method, r.status])).toEqual([['DELETE', 422]]);
      const { protection: _p, ...stale } = owner;
      expect((await expectBridgeError(() => connector.deleteAccount(stale))).code).toBe('PROTECTED_ACCOUNT');
      await connector.deleteAccount({ ...created, id: null });
      expect(await connector.findByEmail('x@example.com')).toBeNull();
      await connector.deleteAccount({ ...created, id: null });
    } finally {
      await connector.close();
    }
  });

  it('updates nothing: member is a no-op, name/email/role changes and disable are unsupported', async () => {
    const connector = connect();
    try {
      const account = await connector.createAccount({ email: 'u@example.com', name: null, givenName: 'Una', familyName: 'Ull', role: 'MEMBER' });
      await simControl(sim, '/requests', undefined, 'DELETE');
      expect(await connector.updateAccount(account, { role: 'member', name: 'Una Ull', email: 'U@example.com' })).toEqual(account);
      expect(await simRequests(sim)).toEqual([]);
      for (const change of [{ name: 'New Name' }, { email: 'new@example.com' }, { role: 'admin' }]) {
        const error = await expectBridgeError(() => connector.updateAccount(account, change));
        expect(error).toMatchObject({ code: 'UNSUPPORTED_OPERATION', kind: 'permanent' });
      }
      expect((await expectBridgeError(() => connector.disableAccount(account))).code).toBe('UNSUPPORTED_OPERATION');
      expect((await expectBridgeError(() => connector.createAccount({ email: 'a@example.com', name: 'A', role: 'admin' }))).code).toBe('UNSUPPORTED_OPERATION');
      const rejected = await expectBridgeError(() => connector.createAccount({ email: 'not-an-email', name: 'A B', role: 'member' }));
      expect(rejected).toMatchObject({ code: 'TARGET_REJECTED', details: { status: 422, targetMessage: 'is invalid' } });
    } finally {
      await connector.close();
    }
  });

  it('checkAccess names the config field at fault', async () => {
    const wrongAccount = connect({ accountId: '33333333-3333-4333-8333-333333333333' });
    const wrongKey = connect({ apiKey: 'ys-bad-91aa' });
    const userScheme = connect({ authScheme: 'User' });
    try {
      const forbidden = await wrongAccount.checkAccess();
      expect(forbidden.ok).toBe(false);
      expect(forbidden.problems[0]).toMatch(/403.*target\.accountId/);
      const unauthorized = await wrongKey.checkAccess();
      expect(unauthorized.problems[0]).toMatch(/401.*target\.apiKey/);
      expect(unauthorized.problems.join(' ')).not.toContain('ys-bad-91aa');
      expect(await userScheme.checkAccess()).toEqual({ ok: true, identity: `account ${yardstikDefaultAccountId}`, problems: [] });
    } finally {
      await Promise.all([wrongAccount.close(), wrongKey.close(), userScheme.close()]);
    }
  });

  it('client: lists groups across pages, creates groups and resets MFA', async () => {
    const client = createYardstikClient(yardstikTargetSchema.parse({ url: sim.targetUrl, accountId: yardstikDefaultAccountId, apiKey: 'sandbox' }), deps);
    try {
      await simControl(sim, '/seed', { groups: Array.from({ length: 59 }, (_, i) => ({ label: `G${i}` })) });
      await client.createGroup({ label: 'Last One' });
      await simControl(sim, '/requests', undefined, 'DELETE');
      const labels: string[] = [];
      for await (const group of client.listGroups({ perPage: 25 })) labels.push(group.label);
      expect(labels).toHaveLength(60);
      expect(new Set(labels).size).toBe(60);
      expect(labels.at(-1)).toBe('Last One');
      expect((await simRequests(sim)).map((r) => new URL(r.path, sim.url).searchParams.get('page'))).toEqual(['1', '2', '3']);
      const user = await createUser('reset@example.com');
      await client.resetMfa(user.id);
      const { owner } = await client.listUsers();
      expect((await expectBridgeError(() => client.resetMfa(owner.id))).code).toBe('PROTECTED_ACCOUNT');
      expect((await expectBridgeError(() => client.resetMfa(crypto.randomUUID()))).code).toBe('TARGET_NOT_FOUND');
    } finally {
      await client.close();
    }
  });

  it('classifies string error items and a 404 account as the sources allow', () => {
    const classify = createYardstikClassifier(yardstikDefaultAccountId);
    expect(classify(422, { errors: ['Email address has already been taken'] }, '/accounts/{accountId}/users')?.code).toBe('TARGET_CONFLICT');
    expect(classify(422, { errors: ['Last name is too long'] }, '/accounts/{accountId}/users')).toBeUndefined();
    expect(classify(404, { errors: ['Not Found'] }, '/accounts/{accountId}/users')?.code).toBe('TARGET_AUTH');
    expect(classify(404, {}, '/accounts/{accountId}/users/{userId}')).toBeUndefined();
  });

  it('registers a schema with a default scheme, a uuid account and a secret apiKey', () => {
    expect(definition.secretFields).toEqual(['apiKey']);
    expect(definition.targetSchema.parse({ url: 'https://api.yardstik.com', accountId: yardstikDefaultAccountId, apiKey: 'k' })).toMatchObject({ authScheme: 'Account' });
    expect(definition.targetSchema.safeParse({ url: 'https://api.yardstik.com', accountId: 'acct-1', apiKey: 'k' }).success).toBe(false);
    expect(definition.targetSchema.safeParse({ url: 'https://api.yardstik.com', accountId: yardstikDefaultAccountId, apiKey: 'k', authScheme: 'Bearer' }).success).toBe(false);
  });
});
