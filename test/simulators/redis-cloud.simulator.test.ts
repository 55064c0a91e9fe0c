import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyRedisCloudError } from '../../src/connectors/redis-cloud/client.js';
import { createRedisCloudConnector } from '../../src/connectors/redis-cloud/connector.js';
import type { RedisCloudTask } from '../../src/connectors/redis-cloud/schemas.js';
import { createRedisCloudSimulator, type RedisCloudSimulatorOptions } from '../../src/connectors/redis-cloud/simulator.js';
import { taskFailureToError, type RedisCloudWrite } from '../../src/connectors/redis-cloud/tasks.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import type { Connector } from '../../src/connectors/types.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { expectBridgeError, simControl, simRequests } from '../contract/connector-contract.js';

const apiKey = 'rc-sim-key-51d0';
const apiSecretKey = 'rc-sim-secret-9b7e';
const keys = { 'x-api-key': apiKey, 'x-api-secret-key': apiSecretKey };
const ownerEmail = 'owner@sandbox.local';

type Json = Record<string, unknown>;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: RedisCloudSimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await serveSimulator(createRedisCloudSimulator({ credentials: { apiKey, apiSecretKey }, taskStepMs: 5, ...options }));
  cleanups.push(() => sim.close());
  return sim;
}

function connect(sim: RunningSimulator, taskTimeoutMs = 5_000): Connector {
  const connector = createRedisCloudConnector(
    { url: sim.targetUrl, apiKey, apiSecretKey, taskTimeoutMs },
    { logger: createSilentLogger(), retries: 1, backoffMs: 10, timeoutMs: 2_000 },
  );
  cleanups.push(() => connector.close());
  return connector;
}

async function api(sim: RunningSimulator, method: string, path: string, body?: unknown, headers: Record<string, string> = keys): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${sim.targetUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
}

/** Polls `probe` until it returns a value, failing after `timeoutMs`. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function finalTask(sim: RunningSimulator, taskId: string): Promise<Json> {
  return until(async () => {
    const { body } = await api(sim, 'GET', `/tasks/${taskId}`);
    return body.status === 'processing-completed' || body.status === 'processing-error' ? body : undefined;
  });
}

async function seed(sim: RunningSimulator, users: Json[]): Promise<{ id: number; email: string }[]> {
  return ((await simControl(sim, '/seed', { users })) as { users: { id: number; email: string }[] }).users;
}

describe('redis-cloud simulator: routes and auth', () => {
  it('answers GET /v1/ with the RootAccount naming the API key user', async () => {
    const sim = await start();
    const { status, body } = await api(sim, 'GET', '/');
    expect(status).toBe(200);
    const users = (await api(sim, 'GET', '/users')).body.users as Json[];
    expect(body).toMatchObject({ account: { id: 1001, key: { owner: { email: ownerEmail }, userAccountId: users[0]?.id, accountId: 1001 } } });
  });

  it('needs both x-api-key and x-api-secret-key, else 401', async () => {
    const sim = await start();
    const wrong: Record<string, string>[] = [{}, { 'x-api-key': apiKey }, { ...keys, 'x-api-secret-key': 'wrong' }, { ...keys, 'x-api-key': 'sandbox' }];
    for (const headers of wrong) {
      expect((await api(sim, 'GET', '/users', undefined, headers)).status).toBe(401);
    }
    const defaults = await serveSimulator(createRedisCloudSimulator());
    cleanups.push(() => defaults.close());
    const response = await fetch(`${defaults.targetUrl}/users`, { headers: { 'x-api-key': 'sandbox', 'x-api-secret-key': 'sandbox' } });
    expect(response.status).toBe(200);
  });

  it('lists users as {account, users} with the exact AccountUser shape and no paging', async () => {
    const sim = await start();
    await seed(sim, Array.from({ length: 150 }, (_, i) => ({ email: `u${i}@example.com` })));
    const { body } = await api(sim, 'GET', '/users');
    expect(body.account).toBe(1001);
    const users = body.users as Json[];
    expect(users).toHaveLength(151);
    expect(Object.keys(users[0] ?? {}).sort()).toEqual(['email', 'hasApiKey', 'id', 'name', 'options', 'role', 'signUp', 'userType'].sort());
    expect(Object.keys(users[0]?.options as Json).sort()).toEqual(['billing', 'emailAlerts', 'mfaEnabled', 'operationalEmails']);
    expect(users[0]).toMatchObject({ email: ownerEmail, role: 'Owner', hasApiKey: true, userType: 'Local' });
  });

  it('gets one user by int32 id: 404 when unknown, 400 when not an int32', async () => {
    const sim = await start();
    const [user] = await seed(sim, [{ email: 'one@example.com', role: 'member' }]);
    expect((await api(sim, 'GET', `/users/${user?.id}`)).body).toMatchObject({ email: 'one@example.com', role: 'Member' });
    expect((await api(sim, 'GET', '/users/999')).status).toBe(404);
    expect((await api(sim, 'GET', '/users/abc')).status).toBe(400);
    expect((await api(sim, 'GET', '/users/99999999999')).status).toBe(400);
  });

  it('answers 404 JSON for unknown paths', async () => {
    const sim = await start();
    const { status, body } = await api(sim, 'GET', '/subscriptions');
    expect(status).toBe(404);
    expect(body).toEqual({ error: 'Not Found' });
  });
});

describe('redis-cloud simulator: tasks', () => {
  it('moves a PUT task received -> processing-in-progress -> processing-completed with links', async () => {
    const sim = await start({ taskStepMs: 100 });
    const [user] = await seed(sim, [{ email: 'jane@example.com' }]);
    const { status, body } = await api(sim, 'PUT', `/users/${user?.id}`, { name: 'Jane Senior', role: 'manager' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ commandType: 'userUpdateRequest', status: 'received', description: expect.any(String) as string });
    expect(body.taskId).toMatch(/^[0-9a-f-]{36}$/);
    const href = ((body._links as Json).task as Json).href as string;
    expect(href).toBe(`${sim.targetUrl}/tasks/${String(body.taskId)}`);
    const seen = new Set<string>();
    const final = await until(async () => {
      const task = (await fetch(href, { headers: keys }).then((r) => r.json())) as Json;
      seen.add(String(task.status));
      return task.status === 'processing-completed' ? task : undefined;
    });
    expect([...seen]).toContain('processing-in-progress');
    expect(final.response).toEqual({ resourceId: user?.id });
    expect((await api(sim, 'GET', `/users/${user?.id}`)).body).toMatchObject({ name: 'Jane Senior', role: 'Manager' });
  });

  it('processes one task per account at a time and lists the most recent first', async () => {
    const sim = await start({ taskStepMs: 30 });
    const users = await seed(sim, [{ email: 'a@example.com' }, { email: 'b@example.com' }, { email: 'c@example.com' }]);
    const ids: string[] = [];
    for (const user of users) ids.push(String((await api(sim, 'PUT', `/users/${user.id}`, { name: 'Renamed' })).body.taskId));
    let sawOthersWaiting = false;
    await until(async () => {
      const tasks = (await api(sim, 'GET', '/tasks')).body.tasks as Json[];
      const running = tasks.filter((t) => t.status === 'processing-in-progress').length;
      expect(running).toBeLessThanOrEqual(1);
      if (running === 1 && tasks.some((t) => t.status === 'received')) sawOthersWaiting = true;
      return tasks.every((t) => t.status === 'processing-completed') ? tasks : undefined;
    });
    expect(sawOthersWaiting).toBe(true);
    const listed = ((await api(sim, 'GET', '/tasks')).body.tasks as Json[]).map((t) => t.taskId);
    expect(listed).toEqual([...ids].reverse());
    expect((await api(sim, 'GET', '/tasks/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('answers 429 when maxQueuedTasks tasks already wait', async () => {
    const sim = await start({ taskStepMs: 5_000, maxQueuedTasks: 2 });
    const [user] = await seed(sim, [{ email: 'busy@example.com' }]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(sim, 'PUT', `/users/${user?.id}`, { name: `Name ${i}` })).status);
    // The first task is taken by the processor at once; two more may wait.
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('validates PUT bodies: name required, role from the enum in any case', async () => {
    const sim = await start();
    const [user] = await seed(sim, [{ email: 'v@example.com' }]);
    expect((await api(sim, 'PUT', `/users/${user?.id}`, { role: 'Viewer' })).status).toBe(400);
    expect((await api(sim, 'PUT', `/users/${user?.id}`, { name: 'V', role: 'superuser' })).status).toBe(400);
    expect((await api(sim, 'PUT', '/users/424242', { name: 'V' })).status).toBe(404);
    const ok = await api(sim, 'PUT', `/users/${user?.id}`, { name: 'V', role: 'logs viewer (api use only)' });
    expect(ok.status).toBe(200);
    expect((await finalTask(sim, String(ok.body.taskId))).status).toBe('processing-completed');
    expect((await api(sim, 'GET', `/users/${user?.id}`)).body.role).toBe('Logs Viewer (API use only)');
    const blank = await api(sim, 'PUT', `/users/${user?.id}`, { name: ' ' });
    expect((await finalTask(sim, String(blank.body.taskId))).response).toMatchObject({ error: 'USER_NAME_IS_INVALID' });
  });

  it('answers 202 instead of 200 when writeStatus says so', async () => {
    const sim = await start({ writeStatus: 202 });
    const [user] = await seed(sim, [{ email: 'mock@example.com' }]);
    expect((await api(sim, 'DELETE', `/users/${user?.id}`)).status).toBe(202);
    const connector = connect(sim);
    const account = await connector.findByEmail('owner@sandbox.local');
    expect(account).not.toBeNull();
    if (account) expect((await connector.updateAccount(account, { name: 'Owner Renamed' })).name).toBe('Owner Renamed');
  });
});

describe('redis-cloud simulator: task errors', () => {
  async function outcome(sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<unknown> {
    const started = await api(sim, method, path, body);
    expect(started.status).toBe(200);
    return (await finalTask(sim, String(started.body.taskId))).response;
  }

  it("refuses to delete the key's own user or change its role, but renames it", async () => {
    const sim = await start();
    const root = (await api(sim, 'GET', '/')).body as { account: { key: { userAccountId: number } } };
    const self = `/users/${root.account.key.userAccountId}`;
    expect(await outcome(sim, 'DELETE', self)).toMatchObject({ error: 'USER_CANNOT_DELETE_OWN_USER', additionalInfo: expect.any(String) as string });
    expect(await outcome(sim, 'PUT', self, { name: 'Me', role: 'Viewer' })).toMatchObject({ error: 'USER_CANNOT_UPDATE_IT_IS_OWN_ROLE' });
    expect(await outcome(sim, 'PUT', self, { name: 'Me', role: 'owner' })).toEqual({ resourceId: root.account.key.userAccountId });
  });

  it('reports USER_NOT_FOUND when the user is gone by the time the task runs', async () => {
    const sim = await start({ taskStepMs: 20 });
    const [user] = await seed(sim, [{ email: 'twice@example.com' }]);
    const first = await api(sim, 'DELETE', `/users/${user?.id}`);
    const second = await api(sim, 'DELETE', `/users/${user?.id}`);
    expect((await finalTask(sim, String(first.body.taskId))).status).toBe('processing-completed');
    expect((await finalTask(sim, String(second.body.taskId))).response).toMatchObject({ error: 'USER_NOT_FOUND' });
    expect((await api(sim, 'DELETE', `/users/${user?.id}`)).status).toBe(404);
  });

  it('refuses to change or delete an invited user before verification', async () => {
    const sim = await start();
    const [user] = await seed(sim, [{ email: 'pending@example.com', verified: false }]);
    const error = { error: 'USER_CANNOT_BE_UPDATED_OR_DELETED_BEFORE_VERIFICATION' };
    expect(await outcome(sim, 'PUT', `/users/${user?.id}`, { name: 'P' })).toMatchObject(error);
    expect(await outcome(sim, 'DELETE', `/users/${user?.id}`)).toMatchObject(error);
  });

  it("refuses every user change when the key's user is not an Owner", async () => {
    const sim = await start({ apiKeyUser: { role: 'Viewer', email: 'viewer.key@example.com' } });
    const [user] = await seed(sim, [{ email: 'x@example.com' }]);
    expect(await outcome(sim, 'PUT', `/users/${user?.id}`, { name: 'X' })).toMatchObject({ error: 'USER_WITHOUT_OWNER_PERMISSION_CANNOT_UPDATE_USERS' });
    expect(await outcome(sim, 'DELETE', `/users/${user?.id}`)).toMatchObject({ error: 'USER_WITHOUT_OWNER_PERMISSION_CANNOT_PERFORM_ACTIONS_ON_USERS' });
  });
});

describe('redis-cloud simulator: seed 000 invitations', () => {
  it('invites with POST /v1/users: a task, then an unverified user until /_sim/accept', async () => {
    const sim = await start();
    const started = await api(sim, 'POST', '/users', { name: 'Jane Developer', email: 'jane@example.com', role: 'member' });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ commandType: 'userCreateRequest', status: 'received' });
    const final = await finalTask(sim, String(started.body.taskId));
    const id = (final.response as { resourceId: number }).resourceId;
    expect(((final._links as Json).resource as Json).href).toBe(`${sim.targetUrl}/users/${id}`);
    expect((await api(sim, 'GET', `/users/${id}`)).body).toMatchObject({ email: 'jane@example.com', role: 'Member', signUp: '', hasApiKey: false });
    await simControl(sim, '/accept', { email: 'JANE@example.com' });
    expect((await api(sim, 'GET', `/users/${id}`)).body.signUp).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect(simControl(sim, '/accept', { email: 'nobody@example.com' })).rejects.toThrow(/404/);
  });

  it('answers 409 for a known or already queued email, 400 for a bad email or role', async () => {
    const sim = await start({ taskStepMs: 1_000 });
    expect((await api(sim, 'POST', '/users', { name: 'O', email: ownerEmail.toUpperCase(), role: 'Viewer' })).status).toBe(409);
    expect((await api(sim, 'POST', '/users', { name: 'Q', email: 'q@example.com', role: 'Viewer' })).status).toBe(200);
    expect((await api(sim, 'POST', '/users', { name: 'Q', email: 'q@example.com', role: 'Viewer' })).status).toBe(409);
    expect((await api(sim, 'POST', '/users', { name: 'B', email: 'not-an-email', role: 'Viewer' })).status).toBe(400);
    expect((await api(sim, 'POST', '/users', { name: 'B', email: 'b@example.com', role: 'admin' })).status).toBe(400);
  });

  it('accepts invitations by itself after autoAcceptSeconds', async () => {
    const sim = await start({ autoAcceptSeconds: 0.05 });
    const started = await api(sim, 'POST', '/users', { name: 'Auto', email: 'auto@example.com', role: 'Viewer' });
    const id = ((await finalTask(sim, String(started.body.taskId))).response as { resourceId: number }).resourceId;
    await until(async () => ((await api(sim, 'GET', `/users/${id}`)).body.signUp === '' ? undefined : true));
  });

  it('has no POST /v1/users when inviteEndpoint is off, as in RC-OAS', async () => {
    const sim = await start({ inviteEndpoint: false });
    const { status, body } = await api(sim, 'POST', '/users', { name: 'N', email: 'n@example.com', role: 'Viewer' });
    expect(status).toBe(404);
    expect(body).toEqual({ error: 'Not Found' });
  });

  it('seeds, refuses bad or duplicate seeds whole, and resets to the key user alone', async () => {
    const sim = await start();
    await expect(simControl(sim, '/seed', { users: [{ email: 'ok@example.com' }, { email: ownerEmail }] })).rejects.toThrow(/400/);
    await expect(simControl(sim, '/seed', { users: [{ email: 'r@example.com', role: 'root' }] })).rejects.toThrow(/400/);
    expect(((await api(sim, 'GET', '/users')).body.users as Json[]).length).toBe(1);
    await seed(sim, [{ email: 'ok@example.com', role: 'Billing Admin' }]);
    await simControl(sim, '/reset');
    const users = (await api(sim, 'GET', '/users')).body.users as Json[];
    expect(users.map((u) => u.email)).toEqual([ownerEmail]);
  });
});

describe('redis-cloud simulator: mounted under a prefix', () => {
  it('builds links from the mount path and serves the connector there', async () => {
    const simulator = createRedisCloudSimulator({ credentials: { apiKey, apiSecretKey }, taskStepMs: 5 });
    const app = express();
    app.use('/sandbox/redis-cloud', simulator.app);
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(async () => {
      simulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const servedAt = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/redis-cloud`;
    const targetUrl = simulator.targetUrl(servedAt);
    expect(targetUrl).toBe(`${servedAt}/v1`);
    const connector = createRedisCloudConnector({ url: targetUrl, apiKey, apiSecretKey }, { logger: createSilentLogger() });
    cleanups.push(() => connector.close());
    const created = await connector.createAccount({ email: 'mounted@example.com', name: 'Mounted', role: 'Viewer' });
    expect(created).toMatchObject({ email: 'mounted@example.com', status: 'invited' });
    const tasks = (await fetch(`${targetUrl}/tasks`, { headers: keys }).then((r) => r.json())) as { tasks: Json[] };
    expect(((tasks.tasks[0]?._links as Json).self as Json).href).toMatch(new RegExp(`^${servedAt}/v1/tasks/`));
  });
});

describe('redis-cloud connector: beyond the contract', () => {
  it('reports an invitation as invited until verified, and marks the key user', async () => {
    const sim = await start();
    const connector = connect(sim);
    const created = await connector.createAccount({ email: 'new@example.com', name: null, givenName: 'New', familyName: 'Person', role: 'logs viewer' });
    expect(created).toMatchObject({ name: 'New Person', role: 'Logs Viewer (API use only)', roleAliases: ['Logs Viewer'], status: 'invited' });
    expect(created.protection).toBeUndefined();
    await simControl(sim, '/accept', { email: 'new@example.com' });
    expect((await connector.findByEmail('new@example.com'))?.status).toBe('active');
    expect((await connector.findByEmail(ownerEmail))?.protection).toBe('api-key-user');
  });

  it('refuses an unknown role before calling the target', async () => {
    const sim = await start();
    const error = await expectBridgeError(() => connect(sim).createAccount({ email: 'r@example.com', name: 'R', role: 'admin' }));
    expect(error).toMatchObject({ code: 'TARGET_REJECTED', kind: 'permanent' });
    expect((await simRequests(sim)).some((r) => r.method === 'POST')).toBe(false);
  });

  it('says creation is unsupported when POST /users does not exist (official API)', async () => {
    const sim = await start({ inviteEndpoint: false });
    const error = await expectBridgeError(() => connect(sim).createAccount({ email: 'n@example.com', name: 'N', role: 'Viewer' }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OPERATION', kind: 'permanent' });
    expect(error.message).toMatch(/console/);
  });

  it('reports a pending invitation as a permanent rejection with reason invitation-pending', async () => {
    const sim = await start();
    const connector = connect(sim);
    const invited = await connector.createAccount({ email: 'wait@example.com', name: 'Wait', role: 'Viewer' });
    for (const attempt of [() => connector.updateAccount(invited, { role: 'Member' }), () => connector.deleteAccount(invited)]) {
      const error = await expectBridgeError(attempt);
      expect(error).toMatchObject({ code: 'TARGET_REJECTED', kind: 'permanent', details: { reason: 'invitation-pending' } });
    }
  });

  it('sends the current name with a role change and skips a change that changes nothing', async () => {
    const sim = await start();
    const connector = connect(sim);
    await seed(sim, [{ email: 'named@example.com', name: 'Console Name', role: 'Viewer' }]);
    const account = await connector.findByEmail('named@example.com');
    if (!account) throw new Error('seeded account missing');
    const updated = await connector.updateAccount({ ...account, name: 'Stale Name' }, { role: 'Member' });
    expect(updated).toMatchObject({ name: 'Console Name', role: 'Member' });
    await simControl(sim, '/requests', undefined, 'DELETE');
    await connector.updateAccount(updated, { role: 'member', name: 'Console Name', email: 'NAMED@example.com' });
    expect((await simRequests(sim)).filter((r) => r.method !== 'GET')).toEqual([]);
    const error = await expectBridgeError(() => connector.disableAccount(updated));
    expect(error.code).toBe('UNSUPPORTED_OPERATION');
  });

  it('treats a user deleted meanwhile as deleted, by 404 or by a USER_NOT_FOUND task', async () => {
    const sim = await start({ taskStepMs: 20 });
    const connector = connect(sim);
    await seed(sim, [{ email: 'gone@example.com' }]);
    const account = await connector.findByEmail('gone@example.com');
    if (!account) throw new Error('seeded account missing');
    await Promise.all([connector.deleteAccount(account), connector.deleteAccount(account)]);
    await connector.deleteAccount(account);
    expect(await connector.findByEmail('gone@example.com')).toBeNull();
    const update = await expectBridgeError(() => connector.updateAccount(account, { role: 'Viewer' }));
    expect(update.code).toBe('TARGET_NOT_FOUND');
  });

  it('gives up waiting on a slow task with a transient TARGET_TASK_PENDING', async () => {
    const sim = await start({ taskStepMs: 2_000 });
    const connector = connect(sim, 150);
    const error = await expectBridgeError(() => connector.createAccount({ email: 'slow@example.com', name: 'Slow', role: 'Viewer' }));
    expect(error).toMatchObject({ code: 'TARGET_TASK_PENDING', kind: 'transient', details: { taskStatus: 'received' } });
    expect(error.details.taskId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stops polling a task when aborted', async () => {
    const sim = await start({ taskStepMs: 2_000 });
    const owner = await connect(sim).findByEmail(ownerEmail);
    if (!owner) throw new Error('owner missing');
    const started = Date.now();
    const error = await expectBridgeError(() => connect(sim).updateAccount(owner, { name: 'Renamed' }, { signal: AbortSignal.timeout(150) }));
    expect(error.code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports a full task queue as transient TARGET_RATE_LIMITED', async () => {
    const sim = await start({ maxQueuedTasks: 0 });
    const owner = await connect(sim).findByEmail(ownerEmail);
    if (!owner) throw new Error('owner missing');
    const error = await expectBridgeError(() => connect(sim).updateAccount(owner, { name: 'Busy' }));
    expect(error).toMatchObject({ code: 'TARGET_RATE_LIMITED', kind: 'transient' });
  });

  it("checkAccess names the key owner and flags a key whose user is not an Owner", async () => {
    const good = await connect(await start()).checkAccess();
    expect(good).toEqual({ ok: true, identity: ownerEmail, problems: [] });
    const sim = await start({ apiKeyUser: { role: 'Viewer', email: 'viewer.key@example.com' } });
    const connector = connect(sim);
    expect(await connector.checkAccess()).toEqual({
      ok: false,
      identity: 'viewer.key@example.com',
      problems: ["the API key's user is a Viewer: only an Owner's key can change users"],
    });
    await seed(sim, [{ email: 'other@example.com' }]);
    const other = await connector.findByEmail('other@example.com');
    if (!other) throw new Error('seeded account missing');
    const error = await expectBridgeError(() => connector.updateAccount(other, { role: 'Member' }));
    expect(error).toMatchObject({ code: 'TARGET_AUTH', kind: 'permanent', details: { targetError: 'USER_WITHOUT_OWNER_PERMISSION_CANNOT_UPDATE_USERS' } });
  });
});

describe('getAccount', () => {
  it('reads one user by id: the same account findByEmail gives, invited until verified', async () => {
    const sim = await start();
    const connector = connect(sim);
    const [active, pending] = await seed(sim, [{ email: 'active@example.com', role: 'Member' }, { email: 'pending@example.com', verified: false }]);
    expect(await connector.getAccount?.(String(active?.id))).toEqual(await connector.findByEmail('active@example.com'));
    const invited = await connector.getAccount?.(String(pending?.id));
    expect(invited).toMatchObject({ email: 'pending@example.com', status: 'invited' });
    expect(invited).toEqual(await connector.findByEmail('pending@example.com'));
    // `GET /` is read once per connector: after it, a user costs one call.
    await simControl(sim, '/requests', undefined, 'DELETE');
    await connector.getAccount?.(String(active?.id));
    expect((await simRequests(sim)).map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/users/${active?.id}`]);
  });

  it("keeps the API key user's protection", async () => {
    const sim = await start();
    const connector = connect(sim);
    const owner = await connector.findByEmail(ownerEmail);
    expect(owner?.protection).toBe('api-key-user');
    expect(await connector.getAccount?.(owner?.id ?? '')).toEqual(owner);
  });

  it('reads a deleted user as null', async () => {
    const sim = await start();
    const connector = connect(sim);
    const [user] = await seed(sim, [{ email: 'gone@example.com' }]);
    const account = await connector.getAccount?.(String(user?.id));
    if (!account) throw new Error('seeded account missing');
    await connector.deleteAccount(account);
    expect(await connector.getAccount?.(String(user?.id))).toBeNull();
    expect(await connector.getAccount?.('424242')).toBeNull();
  });

  it('answers null for an id that is not an int32, without calling the target', async () => {
    const sim = await start();
    const connector = connect(sim);
    await simControl(sim, '/requests', undefined, 'DELETE');
    for (const id of ['', 'abc', '12a', '-1', '1.5', ' 7', '2147483648', '99999999999']) expect(await connector.getAccount?.(id), id).toBeNull();
    expect(await simRequests(sim)).toEqual([]);
  });
});

describe('redis-cloud task error mapping', () => {
  const task = (error: string | undefined): RedisCloudTask => ({
    taskId: 'f3ec3f53-0000-4000-8000-000000000001',
    status: 'processing-error',
    ...(error !== undefined ? { response: { error, additionalInfo: 'details' } } : {}),
  });
  const cases: [string | undefined, RedisCloudWrite, string | null, string | undefined][] = [
    ['USER_NOT_FOUND', 'delete', null, undefined],
    ['USER_NOT_FOUND', 'update', 'TARGET_NOT_FOUND', undefined],
    ['USER_CANNOT_DELETE_OWN_USER', 'delete', 'PROTECTED_ACCOUNT', 'api-key-user'],
    ['USER_CANNOT_UPDATE_IT_IS_OWN_ROLE', 'update', 'PROTECTED_ACCOUNT', 'api-key-user'],
    ['CONFLICT_ERROR', 'update', 'PROTECTED_ACCOUNT', 'last-owner'],
    ['CONFLICT_ERROR', 'delete', 'PROTECTED_ACCOUNT', 'last-owner'],
    ['CONFLICT_ERROR', 'create', 'TARGET_CONFLICT', undefined],
    ['USER_CANNOT_BE_UPDATED_OR_DELETED_BEFORE_VERIFICATION', 'delete', 'TARGET_REJECTED', 'invitation-pending'],
    ['USER_WITHOUT_OWNER_PERMISSION_CANNOT_PERFORM_ACTIONS_ON_USERS', 'delete', 'TARGET_AUTH', 'not-owner'],
    ['USER_ROLE_DOES_NOT_EXISTS', 'update', 'TARGET_TASK_FAILED', undefined],
    [undefined, 'create', 'TARGET_TASK_FAILED', undefined],
  ];
  it.each(cases)('%s on %s -> %s (%s)', (targetError, write, code, reason) => {
    const error = taskFailureToError(task(targetError), write);
    if (code === null) return void expect(error).toBeNull();
    expect(error).toMatchObject({ code, kind: 'permanent', details: { targetError: targetError ?? 'UNKNOWN_STATUS', taskId: task(undefined).taskId } });
    expect(error?.details.reason).toBe(reason);
  });

  it('keeps the target error code from a nested synchronous error body', () => {
    const error = classifyRedisCloudError(404, { error: { type: 'USER_NOT_FOUND', status: '404 NOT_FOUND', description: 'User was not found' } }, '/users/{userId}');
    expect(error).toMatchObject({ code: 'TARGET_NOT_FOUND', details: { status: 404, targetError: 'USER_NOT_FOUND', targetMessage: 'User was not found' } });
    expect(classifyRedisCloudError(404, { error: 'User not found' }, '/users/{userId}')).toBeUndefined();
  });
});
