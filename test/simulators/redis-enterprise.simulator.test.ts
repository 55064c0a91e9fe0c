import express from 'express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDeps } from '../../src/connectors/definition.js';
import { createRedisEnterpriseConnector } from '../../src/connectors/redis-enterprise/connector.js';
import { definition } from '../../src/connectors/redis-enterprise/index.js';
import { generatePassword, passwordComplexityProblems } from '../../src/connectors/redis-enterprise/password.js';
import { caConflictMessage, redisEnterpriseTargetSchema, type RedisEnterpriseTarget } from '../../src/connectors/redis-enterprise/schemas.js';
import { createRedisEnterpriseSimulator, type RedisEnterpriseSimulatorOptions } from '../../src/connectors/redis-enterprise/simulator.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import type { Connector } from '../../src/connectors/types.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { expectBridgeError, simControl, simRequests } from '../contract/connector-contract.js';

const admin = { user: 'admin@sandbox.local', password: 'sandbox' };
const deps: ConnectorDeps = { logger: createSilentLogger(), timeoutMs: 2_000, retries: 0, backoffMs: 10 };
type Creds = { user: string; password: string };

async function call(sim: RunningSimulator, method: string, path: string, body?: unknown, options: { as?: Creds; contentType?: string | null } = {}) {
  const as = options.as ?? admin;
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${as.user}:${as.password}`).toString('base64')}` };
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (body !== undefined && contentType !== null) headers['content-type'] = contentType;
  const response = await fetch(`${sim.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> & Array<Record<string, unknown>> };
}

const newUser = (email: string, extra: Record<string, unknown> = {}) => ({ email, password: 'Secret-pass-42', name: email.split('@')[0], role: 'db_viewer', ...extra });

describe('redis-enterprise simulator', () => {
  let sim: RunningSimulator;
  const start = async (options: RedisEnterpriseSimulatorOptions = {}): Promise<RunningSimulator> => (sim = await serveSimulator(createRedisEnterpriseSimulator(options)));
  beforeEach(async () => void (await start()));
  afterEach(async () => sim.close());

  it('asks for HTTP Basic auth and signs the default admin in', async () => {
    const anonymous = await fetch(`${sim.url}/v1/users`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await call(sim, 'GET', '/v1/users', undefined, { as: { user: admin.user, password: 'nope' } })).status).toBe(401);
    const { status, body } = await call(sim, 'GET', '/v1/users');
    expect(status).toBe(200);
    expect(body).toEqual([
      expect.objectContaining({ uid: 1, email: admin.user, role: 'admin', role_uids: [1], auth_method: 'regular', certificate_subject_line: '', status: 'active' }),
    ]);
    expect(String(body[0]?.password_issue_date)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(body)).not.toContain('sandbox"');
  });

  it('takes its credentials from options.credentials', async () => {
    await sim.close();
    await start({ credentials: { username: 'ops@cluster.test', password: 're-opt-91' } });
    expect((await call(sim, 'GET', '/v1/users')).status).toBe(401);
    expect((await call(sim, 'GET', '/v1/users', undefined, { as: { user: 'ops@cluster.test', password: 're-opt-91' } })).status).toBe(200);
  });

  it('creates users with 200 and integer uids, and answers 404 "User does not exist"', async () => {
    const created = await call(sim, 'POST', '/v1/users', newUser('pat@example.com'));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ uid: 2, email: 'pat@example.com', role: 'db_viewer', email_alerts: true, status: 'active' });
    expect(created.body).not.toHaveProperty('password');
    expect((await call(sim, 'GET', '/v1/users/2')).body).toMatchObject({ uid: 2 });
    for (const path of ['/v1/users/99', '/v1/users/abc']) {
      expect(await call(sim, 'GET', path)).toMatchObject({ status: 404, body: { error_code: 'user_not_exist', message: 'User does not exist' } });
    }
  });

  it('answers 400 for bad or missing parameters and a missing JSON content type', async () => {
    const cases: Array<[unknown, string]> = [
      [{ email: 'a@example.com', role: 'db_viewer' }, 'missing_field'],
      [{ email: 'a@example.com', password: 'x1' }, 'missing_field'],
      [newUser('a@example.com', { role: 'superuser' }), 'invalid_schema'],
      [newUser('a@example.com', { role_uids: [4] }), 'invalid_schema'],
      [newUser('a@example.com', { role: undefined, role_uids: [42] }), 'invalid_schema'],
      [newUser('a@example.com', { name: 'Zoë' }), 'invalid_schema'],
      [newUser('a@example.com', { name: 'A & B' }), 'invalid_schema'],
      [newUser('a@example.com', { uid: 7 }), 'invalid_schema'],
    ];
    for (const [body, code] of cases) expect(await call(sim, 'POST', '/v1/users', body)).toMatchObject({ status: 400, body: { error_code: code } });
    expect((await call(sim, 'POST', '/v1/users', JSON.stringify(newUser('a@example.com')), { contentType: 'text/plain' })).status).toBe(400);
    expect((await call(sim, 'POST', '/v1/users', '{not json')).body).toMatchObject({ error_code: 'invalid_json' });
    expect((await call(sim, 'PUT', '/v1/users/1', JSON.stringify({ name: 'x' }), { contentType: null })).status).toBe(400);
    expect((await call(sim, 'GET', '/v1/users')).body).toHaveLength(1);
  });

  it('refuses a duplicate email (409 email_already_exists) and a duplicate name on POST', async () => {
    await call(sim, 'POST', '/v1/users', newUser('pat@example.com', { name: 'Pat Doe' }));
    expect(await call(sim, 'POST', '/v1/users', newUser('PAT@example.com', { name: 'Other' }))).toMatchObject({ status: 409, body: { error_code: 'email_already_exists' } });
    expect(await call(sim, 'POST', '/v1/users', newUser('pat2@example.com', { name: 'Pat Doe' }))).toMatchObject({ status: 409, body: { error_code: 'name_already_exists' } });
    await call(sim, 'POST', '/v1/users', newUser('jo@example.com', { name: 'Jo' }));
    expect(await call(sim, 'PUT', '/v1/users/3', { email: 'pat@example.com' })).toMatchObject({ status: 409, body: { error_code: 'email_already_exists' } });
  });

  it('shows role_uids and the first role\'s management as role; writing role drops role_uids', async () => {
    const created = await call(sim, 'POST', '/v1/users', newUser('pat@example.com', { role: undefined, role_uids: [3, 4] }));
    expect(created.body).toMatchObject({ role: 'cluster_viewer', role_uids: [3, 4] });
    const updated = await call(sim, 'PUT', '/v1/users/2', { email_alerts: false, role_uids: [2, 4] });
    expect(updated).toMatchObject({ status: 200, body: { role: 'cluster_member', role_uids: [2, 4], email_alerts: false } });
    const plain = await call(sim, 'PUT', '/v1/users/2', { role: 'db_member' });
    expect(plain.body).toMatchObject({ role: 'db_member' });
    expect(plain.body).not.toHaveProperty('role_uids');
  });

  it('validates without applying when dry_run is given', async () => {
    expect((await call(sim, 'POST', '/v1/users?dry_run', newUser('dry@example.com'))).status).toBe(200);
    expect((await call(sim, 'GET', '/v1/users')).body).toHaveLength(1);
    expect((await call(sim, 'POST', '/v1/users?dry_run=1', newUser('admin@sandbox.local'))).status).toBe(409);
    await call(sim, 'POST', '/v1/users', newUser('pat@example.com'));
    expect((await call(sim, 'PUT', '/v1/users/2?dry_run=true', { name: 'Changed' })).body).toMatchObject({ name: 'Changed' });
    expect((await call(sim, 'GET', '/v1/users/2')).body).toMatchObject({ name: 'pat' });
  });

  it('checks password complexity only when it is on (option or PUT /v1/cluster)', async () => {
    expect((await call(sim, 'POST', '/v1/users', newUser('weak@example.com', { password: 'x' }))).status).toBe(200);
    expect((await call(sim, 'PUT', '/v1/cluster', { password_complexity: true, password_min_length: 12 })).body).toEqual({ password_complexity: true, password_min_length: 12 });
    const weak = ['Short-1a', 'alllowercase-123', 'NoDigits-here-x', 'Pat@Example.com-X1', 'moc.elpmaxe@tap-X1', 'Aaaaa-bcdef-123'];
    for (const password of weak) {
      expect(await call(sim, 'POST', '/v1/users', newUser('pat@example.com', { password }))).toMatchObject({ status: 400, body: { error_code: 'password_not_complex' } });
    }
    expect((await call(sim, 'POST', '/v1/users', newUser('pat@example.com', { password: 'Strong-pass-1234' }))).status).toBe(200);
    // Not applied to external identity-provider accounts (seed 001's `external`), nor to pre-hashed passwords.
    expect((await call(sim, 'POST', '/v1/users', newUser('ext@example.com', { password: 'x', auth_method: 'external' }))).status).toBe(200);
    expect((await call(sim, 'POST', '/v1/users', newUser('hash@example.com', { password: 'abc', password_hash_method: '1' }))).status).toBe(200);
    expect(await call(sim, 'PUT', '/v1/users/3', { password: 'Strong-pass-1234' })).toMatchObject({ status: 400, body: { error_code: 'new_password_same_as_current' } });
  });

  it('keeps one admin: 406 change_last_admin_role_not_allowed, and DELETE 406 for the last admin or oneself', async () => {
    expect(await call(sim, 'PUT', '/v1/users/1', { role: 'db_viewer' })).toMatchObject({ status: 406, body: { error_code: 'change_last_admin_role_not_allowed' } });
    expect((await call(sim, 'DELETE', '/v1/users/1')).status).toBe(406);
    await simControl(sim, '/seed', { roles: [{ name: 'Users', management: 'user_manager' }], users: [{ email: 'um@example.com', role_uids: [7] }] });
    const manager = { user: 'um@example.com', password: 'sandbox' };
    expect((await call(sim, 'DELETE', '/v1/users/1', undefined, { as: manager })).status).toBe(406);
    expect((await call(sim, 'POST', '/v1/users', newUser('second@example.com', { role: 'admin' }), { as: manager })).status).toBe(200);
    expect((await call(sim, 'PUT', '/v1/users/1', { role: 'db_viewer' }, { as: manager })).body).toMatchObject({ role: 'db_viewer' });
    expect((await call(sim, 'DELETE', '/v1/users/3', undefined, { as: manager })).status).toBe(406);
  });

  it('deletes with 200, then 404', async () => {
    await call(sim, 'POST', '/v1/users', newUser('pat@example.com'));
    expect((await call(sim, 'DELETE', '/v1/users/2')).status).toBe(200);
    expect((await call(sim, 'DELETE', '/v1/users/2')).status).toBe(404);
  });

  it('gives 403 on user writes to roles other than admin and user_manager, and on everything to role none', async () => {
    await simControl(sim, '/seed', { users: [{ email: 'viewer@example.com', role: 'db_viewer' }, { email: 'cv@example.com', role: 'cluster_viewer' }, { email: 'none@example.com', role: 'none' }] });
    const viewer = { user: 'viewer@example.com', password: 'sandbox' };
    expect((await call(sim, 'GET', '/v1/users', undefined, { as: viewer })).status).toBe(403);
    expect((await call(sim, 'GET', '/v1/users/2', undefined, { as: viewer })).body).toMatchObject({ email: 'viewer@example.com' });
    expect((await call(sim, 'POST', '/v1/users', newUser('x@example.com'), { as: viewer })).body).toMatchObject({ error_code: 'insufficient_permissions' });
    expect((await call(sim, 'PUT', '/v1/users/2', { name: 'My Name', email_alerts: false }, { as: viewer })).status).toBe(200);
    expect((await call(sim, 'PUT', '/v1/users/2', { role: 'admin' }, { as: viewer })).status).toBe(403);
    expect((await call(sim, 'DELETE', '/v1/users/3', undefined, { as: viewer })).status).toBe(403);
    const clusterViewer = { user: 'cv@example.com', password: 'sandbox' };
    expect((await call(sim, 'GET', '/v1/users', undefined, { as: clusterViewer })).status).toBe(200);
    expect((await call(sim, 'PUT', '/v1/users/2', { name: 'x' }, { as: clusterViewer })).status).toBe(403);
    expect((await call(sim, 'GET', '/v1/users/4', undefined, { as: { user: 'none@example.com', password: 'sandbox' } })).status).toBe(403);
  });

  it('lists the built-in roles and seeded custom roles', async () => {
    const roles = (await call(sim, 'GET', '/v1/roles')).body;
    expect(roles.map((r) => [r.uid, r.name, r.management])).toEqual([
      [1, 'Admin', 'admin'], [2, 'Cluster Member', 'cluster_member'], [3, 'Cluster Viewer', 'cluster_viewer'],
      [4, 'DB Member', 'db_member'], [5, 'DB Viewer', 'db_viewer'], [6, 'None', 'none'],
    ]);
    expect((await call(sim, 'GET', '/v1/roles/4')).body).toMatchObject({ name: 'DB Member' });
    expect((await call(sim, 'GET', '/v1/roles/99')).status).toBe(404);
    const seeded = (await simControl(sim, '/seed', { roles: [{ uid: 17, name: 'DBA', management: 'admin' }] })) as { roles: unknown[] };
    expect(seeded.roles).toEqual([{ uid: 17, name: 'DBA', management: 'admin' }]);
    expect((await call(sim, 'GET', '/v1/roles/17')).body).toMatchObject({ management: 'admin' });
  });

  it('seeds users, rejects a bad seed, and resets to the default admin', async () => {
    await expect(simControl(sim, '/seed', { users: [{ email: 'admin@sandbox.local' }] })).rejects.toThrow(/400/);
    await expect(simControl(sim, '/seed', { people: [] })).rejects.toThrow(/400/);
    await simControl(sim, '/seed', { users: [{ email: 'a@example.com', name: 'A' }, { email: 'b@example.com', status: 'locked' }] });
    expect((await simControl(sim, '/state', undefined, 'GET')) as { users: unknown[] }).toMatchObject({ users: [{}, { role: 'db_viewer' }, { status: 'locked' }] });
    expect((await call(sim, 'GET', '/v1/users', undefined, { as: { user: 'b@example.com', password: 'sandbox' } })).status).toBe(401);
    await simControl(sim, '/reset');
    expect((await call(sim, 'GET', '/v1/users')).body).toHaveLength(1);
  });
});

describe('redis-enterprise connector', () => {
  let sim: RunningSimulator;
  let connector: Connector;
  const target = (overrides: Partial<RedisEnterpriseTarget> = {}): RedisEnterpriseTarget => ({ url: sim.targetUrl, username: admin.user, password: admin.password, ...overrides });
  beforeEach(async () => {
    sim = await serveSimulator(createRedisEnterpriseSimulator());
    connector = createRedisEnterpriseConnector(target(), deps);
  });
  afterEach(async () => {
    await connector.close();
    await sim.close();
  });

  it('writes role_uids:[...] as role_uids and reports them as an alias', async () => {
    const created = await connector.createAccount({ email: 'pat@example.com', name: 'Pat', role: 'role_uids:[4, 1]' });
    expect(created).toMatchObject({ role: 'db_member', roleAliases: ['role_uids:[1,4]'], status: 'active' });
    await simControl(sim, '/requests', undefined, 'DELETE');
    const same = await connector.updateAccount(created, { role: 'role_uids:[1,4]' });
    expect(same).toBe(created);
    expect(await simRequests(sim)).toHaveLength(0);
    const plain = await connector.updateAccount(created, { role: 'DB_Viewer' });
    expect(plain).toMatchObject({ role: 'db_viewer' });
    expect(plain.roleAliases).toBeUndefined();
    const unknown = await expectBridgeError(() => connector.updateAccount(plain, { role: 'superuser' }));
    expect(unknown.code).toBe('TARGET_REJECTED');
  });

  it('cleans names the cluster refuses, and retries a taken name with the email appended', async () => {
    const first = await connector.createAccount({ email: 'jose@example.com', name: 'José <Admin> "Q"', role: 'db_viewer' });
    expect(first.name).toBe('Jose Admin Q');
    const second = await connector.createAccount({ email: 'other@example.com', name: 'Jose Admin Q', role: 'db_viewer' });
    expect(second.name).toBe('Jose Admin Q (other@example.com)');
    const third = await connector.createAccount({ email: 'parts@example.com', name: null, givenName: 'Ada', familyName: 'Lovelace', role: 'none' });
    expect(third).toMatchObject({ name: 'Ada Lovelace', role: 'none' });
  });

  it('generates a longer password when the cluster demands a long minimum', async () => {
    const strict = createRedisEnterpriseSimulator({ passwordComplexity: true, passwordMinLength: 100 });
    const strictSim = await serveSimulator(strict);
    const strictConnector = createRedisEnterpriseConnector({ url: strictSim.targetUrl, username: admin.user, password: admin.password }, deps);
    try {
      expect(await strictConnector.createAccount({ email: 'long@example.com', name: 'Long', role: 'db_viewer' })).toMatchObject({ email: 'long@example.com' });
      expect((await simRequests(strictSim)).map((r) => r.status)).toEqual([400, 200]);
    } finally {
      await strictConnector.close();
      await strictSim.close();
    }
  });

  it('maps the cluster\'s protections to PROTECTED_ACCOUNT and deactivates with role none', async () => {
    await simControl(sim, '/seed', { roles: [{ name: 'Users', management: 'user_manager' }], users: [{ email: 'um@example.com', role_uids: [5, 7] }] });
    const manager = createRedisEnterpriseConnector(target({ username: 'um@example.com' }), deps);
    try {
      expect(await manager.checkAccess()).toMatchObject({ ok: true, identity: 'um@example.com' });
      const root = await manager.findByEmail(admin.user);
      expect(root?.protection).toBe('last-admin');
      if (!root) return;
      expect((await expectBridgeError(() => manager.deleteAccount(root))).code).toBe('PROTECTED_ACCOUNT');
      expect((await expectBridgeError(() => manager.updateAccount(root, { role: 'db_viewer' }))).code).toBe('PROTECTED_ACCOUNT');
      const pat = await manager.createAccount({ email: 'pat@example.com', name: 'Pat', role: 'db_viewer' });
      expect((await expectBridgeError(() => manager.updateAccount(pat, { email: admin.user }))).code).toBe('TARGET_CONFLICT');
      await manager.disableAccount(pat);
      expect(await manager.findByEmail('pat@example.com')).toMatchObject({ role: 'none', status: 'active' });
      await manager.deleteAccount(pat);
      await manager.disableAccount(pat);
    } finally {
      await manager.close();
    }
  });

  it('checkAccess reports a caller without user-management rights', async () => {
    await simControl(sim, '/seed', { users: [{ email: 'cv@example.com', role: 'cluster_viewer' }, { email: 'dv@example.com', role: 'db_viewer' }] });
    for (const [username, text] of [['cv@example.com', /cluster_viewer.*admin or user_manager/], ['dv@example.com', /403/]] as const) {
      const weak = createRedisEnterpriseConnector(target({ username }), deps);
      const access = await weak.checkAccess();
      await weak.close();
      expect(access.ok).toBe(false);
      expect(access.problems.join(' ')).toMatch(text);
    }
  });

  it('works with the simulator mounted under a prefix', async () => {
    const simulator = createRedisEnterpriseSimulator();
    const outer = express();
    outer.use('/sandbox/redis-enterprise', simulator.app);
    const server = http.createServer(outer);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = simulator.targetUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/redis-enterprise`);
    const mounted = createRedisEnterpriseConnector({ url, username: admin.user, password: admin.password }, deps);
    try {
      await mounted.createAccount({ email: 'pat@example.com', name: 'Pat', role: 'db_viewer' });
      expect((await mounted.findByEmail('PAT@example.com'))?.id).toBe('2');
    } finally {
      await mounted.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('getAccount', () => {
  let sim: RunningSimulator;
  let connector: Connector;
  const requested = async (): Promise<string[]> => (await simRequests(sim)).map((r) => `${r.method} ${r.path}`);
  beforeEach(async () => {
    sim = await serveSimulator(createRedisEnterpriseSimulator());
    connector = createRedisEnterpriseConnector({ url: sim.targetUrl, username: admin.user, password: admin.password }, deps);
  });
  afterEach(async () => {
    await connector.close();
    await sim.close();
  });

  it('reads one user by uid with one call: the same account findByEmail gives, role_uids alias included', async () => {
    const created = await connector.createAccount({ email: 'pat@example.com', name: 'Pat', role: 'role_uids:[4,1]' });
    await simControl(sim, '/requests', undefined, 'DELETE');
    const read = await connector.getAccount?.(created.id ?? '');
    expect(await requested()).toEqual([`GET /v1/users/${created.id}`]);
    expect(read).toMatchObject({ roleAliases: ['role_uids:[1,4]'] });
    expect(read).toEqual(await connector.findByEmail('pat@example.com'));
  });

  it("keeps the bridge's own user as api-key-user without listing", async () => {
    await simControl(sim, '/requests', undefined, 'DELETE');
    const self = await connector.getAccount?.('1');
    expect(self?.protection).toBe('api-key-user');
    expect(await requested()).toEqual(['GET /v1/users/1']);
    expect(self).toEqual(await connector.findByEmail(admin.user));
  });

  it('lists once for another admin, to tell whether it is the last one', async () => {
    await simControl(sim, '/seed', { roles: [{ name: 'Users', management: 'user_manager' }], users: [{ email: 'um@example.com', role_uids: [7] }] });
    const manager = createRedisEnterpriseConnector({ url: sim.targetUrl, username: 'um@example.com', password: 'sandbox' }, deps);
    try {
      await simControl(sim, '/requests', undefined, 'DELETE');
      const root = await manager.getAccount?.('1');
      expect(root?.protection).toBe('last-admin');
      expect(await requested()).toEqual(['GET /v1/users/1', 'GET /v1/users']);
      expect(root).toEqual(await manager.findByEmail(admin.user));
      await manager.createAccount({ email: 'second@example.com', name: 'Second', role: 'admin' });
      const shared = await manager.getAccount?.('1');
      expect(shared).toMatchObject({ email: admin.user, role: 'admin' });
      expect(shared?.protection).toBeUndefined();
      expect(shared).toEqual(await manager.findByEmail(admin.user));
    } finally {
      await manager.close();
    }
  });

  it('reads a deleted user as null', async () => {
    const created = await connector.createAccount({ email: 'gone@example.com', name: 'Gone', role: 'db_viewer' });
    await connector.deleteAccount(created);
    expect(await connector.getAccount?.(created.id ?? '')).toBeNull();
    expect(await connector.getAccount?.('99')).toBeNull();
  });

  it('answers null for an id that is not an integer uid, without calling the cluster', async () => {
    await simControl(sim, '/requests', undefined, 'DELETE');
    for (const id of ['', 'abc', '1a', '-1', '1.5', ' 1', '1e3', '99999999999999999999']) expect(await connector.getAccount?.(id), id).toBeNull();
    expect(await simRequests(sim)).toEqual([]);
  });
});

describe('redis-enterprise over HTTPS', () => {
  const simulator = createRedisEnterpriseSimulator({ https: true });
  let sim: RunningSimulator;
  beforeEach(async () => void (sim = await serveSimulator(simulator, { ...(simulator.tls ? { tls: simulator.tls } : {}) })));
  afterEach(async () => sim.close());
  const connect = async (extra: Partial<RedisEnterpriseTarget>) => {
    const connector = createRedisEnterpriseConnector({ url: sim.targetUrl, username: admin.user, password: admin.password, ...extra }, deps);
    try {
      return await connector.findByEmail(admin.user);
    } finally {
      await connector.close();
    }
  };

  it('trusts the cluster CA given inline or as a file', async () => {
    expect(sim.url).toMatch(/^https:/);
    const cert = simulator.tls?.cert ?? '';
    expect(await connect({ ca: cert })).toMatchObject({ id: '1' });
    const dir = mkdtempSync(join(tmpdir(), 're-ca-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), cert);
      expect(await connect({ ca: join(dir, 'ca.pem') })).toMatchObject({ id: '1' });
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect((await expectBridgeError(() => connect({ ca: join(dir, 'missing.pem') }))).code).toBe('CONFIG_INVALID');
  });

  it('skips verification with insecureSkipVerify, and otherwise says which option to set', async () => {
    expect(await connect({ insecureSkipVerify: true })).toMatchObject({ id: '1' });
    const error = await expectBridgeError(() => connect({}));
    expect(error.code).toBe('TARGET_AUTH');
    expect(error.message).toMatch(/target\.ca/);
    expect(error.message).toMatch(/insecureSkipVerify/);
  });
});

describe('redis-enterprise target config and passwords', () => {
  it('validates the target block, with ca and insecureSkipVerify exclusive', () => {
    const base = { url: 'https://cluster.example:9443', username: 'ops@example.com', password: 'p' };
    expect(redisEnterpriseTargetSchema.safeParse(base).success).toBe(true);
    expect(redisEnterpriseTargetSchema.safeParse({ ...base, ca: '/etc/ca.pem', insecureSkipVerify: false }).success).toBe(true);
    const both = redisEnterpriseTargetSchema.safeParse({ ...base, ca: '/etc/ca.pem', insecureSkipVerify: true });
    expect(both.error?.issues).toEqual([expect.objectContaining({ message: caConflictMessage, path: ['insecureSkipVerify'] })]);
    expect(redisEnterpriseTargetSchema.safeParse({ ...base, password: undefined }).success).toBe(false);
    expect(redisEnterpriseTargetSchema.safeParse({ ...base, url: 'ftp://x' }).success).toBe(false);
    expect(definition.secretFields).toEqual(['password']);
  });

  it.each([
    ['Short-1a', 'a@b.c', 8, []],
    ['Short-1', 'a@b.c', 8, ['at least 8 characters']],
    ['lower-case-123', 'a@b.c', 8, ['an uppercase letter']],
    ['UPPER-CASE-123', 'a@b.c', 8, ['a lowercase letter']],
    ['NoDigits-here', 'a@b.c', 8, ['a digit']],
    ['NoSpecial123', 'a@b.c', 8, ['a special character']],
    ['X1-pat@example.com', 'Pat@Example.com', 8, ['no copy of the email, forwards or reversed']],
    ['X1-moc.elpmaxe@tap', 'pat@example.com', 8, ['no copy of the email, forwards or reversed']],
    ['Abbbb-1234', 'a@b.c', 8, ['no more than 3 repeating characters']],
    ['Abbb-1234', 'a@b.c', 8, []],
  ])('complexity of %s for %s', (password, email, minLength, problems) => {
    expect(passwordComplexityProblems(password, email, minLength)).toEqual(problems);
  });

  it('generates passwords that meet the rules, at least 16 characters long', () => {
    for (let i = 0; i < 300; i++) {
      const password = generatePassword('pat@example.com');
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(passwordComplexityProblems(password, 'pat@example.com', 16)).toEqual([]);
      expect(password).not.toMatch(/(.)\1/);
    }
    expect(generatePassword('a@b.c', 256)).toHaveLength(256);
    expect(generatePassword('a@b.c', 4)).toHaveLength(16);
    expect(new Set(Array.from({ length: 50 }, () => generatePassword('a@b.c'))).size).toBe(50);
  });
});
