import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createParadimeConnector } from '../../src/connectors/paradime/connector.js';
import { paradimeErrorCode } from '../../src/connectors/paradime/errors.js';
import { paradimeCredentialMessages, paradimeTargetSchema, type ParadimeTarget } from '../../src/connectors/paradime/schemas.js';
import { createParadimeSimState } from '../../src/connectors/paradime/simulator-state.js';
import { createParadimeSimulator, paradimeSandboxWorkspaceUid } from '../../src/connectors/paradime/simulator.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import type { Connector, TargetAccount } from '../../src/connectors/types.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { expectBridgeError, injectFault, simControl, simRequests } from '../contract/connector-contract.js';

const keyHeaders = { 'x-api-key': 'sandbox', 'x-api-secret': 'sandbox' };
const listUsers = 'query ListUsers { listUsers { ok activeUsers { uid email name accountType } invitedUsers { email accountType inviteStatus } } }';
const inviteVars = 'mutation InviteUser($email: String!, $accountType: UserAccountType!) { inviteUser(email: $email, accountType: $accountType) { ok } }';
const updateVars = 'mutation U($uid: String!, $accountType: UserAccountType!) { updateUserAccountType(uid: $uid, accountType: $accountType) { ok } }';
const disableVars = 'mutation D($uid: String!) { disableUser(uid: $uid) { ok } }';

interface GqlAnswer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}
interface Users {
  activeUsers: Array<{ uid: string; email: string; name: string | null; accountType: string }>;
  invitedUsers: Array<{ email: string; accountType: string; inviteStatus: string }>;
}

async function gql(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = keyHeaders): Promise<GqlAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GqlAnswer['body'] };
}

describe('paradime simulator', () => {
  let sim: RunningSimulator;
  const call = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlAnswer> =>
    gql(sim.targetUrl, query, variables, headers);
  const users = async (): Promise<Users> => (await call(listUsers)).body.data?.listUsers as Users;
  const uidOf = async (email: string): Promise<string> => (await users()).activeUsers.find((u) => u.email === email)?.uid ?? 'missing';
  const errorCode = (answer: GqlAnswer): string | undefined => answer.body.errors?.[0]?.extensions?.code;

  beforeEach(async () => {
    sim = await serveSimulator(createParadimeSimulator());
  });
  afterEach(async () => {
    await sim.close();
  });

  it('starts with one ADMIN whose uid is 64 hex characters, at /api/v1/<any token>/graphql', async () => {
    expect(sim.targetUrl).toBe(`${sim.url}/api/v1/sandbox/graphql`);
    const answer = await gql(`${sim.url}/api/v1/3f9a-any-token/graphql`, listUsers);
    expect(answer.status).toBe(200);
    const result = answer.body.data?.listUsers as Users & { ok: boolean };
    expect(result.ok).toBe(true);
    expect(result.invitedUsers).toEqual([]);
    expect(result.activeUsers).toEqual([{ uid: expect.stringMatching(/^[0-9a-f]{64}$/), email: 'admin@sandbox.local', name: 'Sandbox Admin', accountType: 'ADMIN' }]);
  });

  it('answers injected GraphQL errors (with or without a code) to the next calls of one operation, then recovers', async () => {
    await simControl(sim, '/seed', { users: [{ email: 'dev@acme.io' }] });
    const uid = await uidOf('dev@acme.io');
    await simControl(sim, '/graphql-errors', { operation: 'disableUser', message: 'User management is disabled for this API key', count: 2 });
    await simControl(sim, '/graphql-errors', { operation: 'listWorkspaces', message: 'nope', code: 'FORBIDDEN' });
    for (let i = 0; i < 2; i++) {
      const refused = await call(disableVars, { uid });
      expect(refused.status).toBe(200);
      expect(refused.body.data).toEqual({ disableUser: null });
      expect(refused.body.errors?.[0]).toMatchObject({ message: 'User management is disabled for this API key' });
      expect(errorCode(refused)).toBeUndefined();
    }
    // Other operations are untouched; the coded error answers once.
    expect((await users()).activeUsers.map((u) => u.email)).toContain('dev@acme.io');
    expect(errorCode(await call('query { listWorkspaces { ok } }'))).toBe('FORBIDDEN');
    expect((await call('query { listWorkspaces { ok } }')).body.errors).toBeUndefined();
    expect((await call(disableVars, { uid })).body.data).toEqual({ disableUser: { ok: true } });
    const bad = await fetch(`${sim.url}/_sim/graphql-errors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'dropTable', message: 'x' }) });
    expect(bad.status).toBe(400);
  });

  it('re-enables a disabled user like the UI does (/_sim/enable), keeping its uid', async () => {
    await simControl(sim, '/seed', { users: [{ email: 'back@acme.io', status: 'disabled', uid: 'b'.repeat(64) }] });
    expect((await users()).activeUsers.map((u) => u.email)).not.toContain('back@acme.io');
    expect(await simControl(sim, '/enable', { email: 'back@acme.io' })).toMatchObject({ uid: 'b'.repeat(64), email: 'back@acme.io' });
    expect(await uidOf('back@acme.io')).toBe('b'.repeat(64));
    const again = await fetch(`${sim.url}/_sim/enable`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'back@acme.io' }) });
    expect(again.status).toBe(404);
  });

  it('works mounted under a prefix', async () => {
    const app = express();
    const mounted = createParadimeSimulator();
    app.use('/sandbox/paradime', mounted.app);
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/paradime`;
    try {
      expect((await gql(mounted.targetUrl(base), listUsers)).status).toBe(200);
      const state = (await (await fetch(`${base}/_sim/state`)).json()) as { activeUsers: unknown[] };
      expect(state.activeUsers).toHaveLength(1);
    } finally {
      mounted.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([
    ['no credentials', {}, 401],
    ['a wrong secret', { 'x-api-key': 'sandbox', 'x-api-secret': 'nope' }, 401],
    ['the workspace token', { authorization: 'Bearer prdm_wsp_sandbox' }, 200],
    ['a wrong token', { authorization: 'Bearer prdm_wsp_other' }, 401],
    ['a company token without a workspace', { authorization: 'Bearer prdm_cmp_sandbox' }, 401],
    ['a company token and the workspace', { authorization: 'Bearer prdm_cmp_sandbox', 'x-paradime-workspace': paradimeSandboxWorkspaceUid }, 200],
    ['a company token and another workspace', { authorization: 'Bearer prdm_cmp_sandbox', 'x-paradime-workspace': 'f'.repeat(64) }, 401],
  ])('authenticates %s', async (_label, headers, status) => {
    const answer = await call(listUsers, undefined, headers);
    expect(answer.status).toBe(status);
    if (status === 401) {
      expect(errorCode(answer)).toBe('UNAUTHENTICATED');
      expect(answer.body.errors?.[0]?.message).not.toContain('nope');
    }
  });

  it('takes its credentials from options.credentials', async () => {
    const custom = await serveSimulator(createParadimeSimulator({ credentials: { apiKey: 'k-1', apiSecret: 's-1', bearerToken: 'prdm_cmp_x', workspaceUid: 'w-1' } }));
    try {
      expect((await gql(custom.targetUrl, listUsers)).status).toBe(401);
      expect((await gql(custom.targetUrl, listUsers, undefined, { 'x-api-key': 'k-1', 'x-api-secret': 's-1' })).status).toBe(200);
      const company = { authorization: 'Bearer prdm_cmp_x', 'x-paradime-workspace': 'w-1' };
      const workspaces = await gql(custom.targetUrl, '{ listWorkspaces { ok workspaces { name uid } } }', undefined, company);
      expect(workspaces.body.data?.listWorkspaces).toEqual({ ok: true, workspaces: [{ name: 'Sandbox', uid: 'w-1' }] });
    } finally {
      await custom.close();
    }
  });

  it('invites with the seed\'s inline arguments and with variables; invitations have no uid', async () => {
    const inline = await call('mutation InviteUser { inviteUser(email: "alice@acme.io", accountType: DEVELOPER) { ok } }');
    expect(inline.body).toEqual({ data: { inviteUser: { ok: true } } });
    const withVariables = await call(inviteVars, { email: 'bob@acme.io', accountType: 'SANDBOX_USER' });
    expect(withVariables.body).toEqual({ data: { inviteUser: { ok: true } } });
    const { activeUsers, invitedUsers } = await users();
    expect(activeUsers).toHaveLength(1);
    expect(invitedUsers).toEqual([
      { email: 'alice@acme.io', accountType: 'DEVELOPER', inviteStatus: 'SENT' },
      { email: 'bob@acme.io', accountType: 'SANDBOX_USER', inviteStatus: 'SENT' },
    ]);
  });

  it('answers duplicate or invalid invitations with GraphQL errors and HTTP 200', async () => {
    await call(inviteVars, { email: 'alice@acme.io', accountType: 'DEVELOPER' });
    const cases: Array<[string, string]> = [['ADMIN@sandbox.local', 'USER_ALREADY_EXISTS'], ['Alice@acme.io', 'USER_ALREADY_INVITED'], ['not-an-email', 'INVALID_EMAIL']];
    for (const [email, code] of cases) {
      const answer = await call(inviteVars, { email, accountType: 'DEVELOPER' });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ inviteUser: null });
      expect(errorCode(answer)).toBe(code);
    }
  });

  it('turns an accepted invitation into an active user with a uid', async () => {
    await call(inviteVars, { email: 'ada.lovelace@acme.io', accountType: 'ANALYST' });
    const accepted = (await simControl(sim, '/accept', { email: 'Ada.Lovelace@acme.io' })) as { uid: string };
    expect(accepted.uid).toMatch(/^[0-9a-f]{64}$/);
    const { activeUsers, invitedUsers } = await users();
    expect(invitedUsers).toEqual([]);
    expect(activeUsers).toContainEqual({ uid: accepted.uid, email: 'ada.lovelace@acme.io', name: 'Ada Lovelace', accountType: 'ANALYST' });
    await expect(simControl(sim, '/accept', { email: 'nobody@acme.io' })).rejects.toThrow(/404/);
  });

  it('accepts invitations by itself after autoAcceptSeconds', async () => {
    const auto = await serveSimulator(createParadimeSimulator({ autoAcceptSeconds: 0.05 }));
    try {
      await gql(auto.targetUrl, inviteVars, { email: 'soon@acme.io', accountType: 'BUSINESS' });
      const deadline = Date.now() + 5_000;
      let active = false;
      while (!active && Date.now() < deadline) {
        const result = (await gql(auto.targetUrl, listUsers)).body.data?.listUsers as Users;
        active = result.activeUsers.some((u) => u.email === 'soon@acme.io');
        if (!active) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(active).toBe(true);
    } finally {
      await auto.close();
    }
  });

  it('clears auto-accept timers on close and reset', () => {
    vi.useFakeTimers();
    try {
      const state = createParadimeSimState({ workspace: { name: 'W', uid: 'w' }, autoAcceptSeconds: 5 });
      state.inviteUser('late@acme.io', 'DEVELOPER');
      state.close();
      vi.advanceTimersByTime(10_000);
      expect(state.listUsers().invitedUsers).toHaveLength(1);
      state.inviteUser('other@acme.io', 'DEVELOPER');
      vi.advanceTimersByTime(10_000);
      expect(state.listUsers().activeUsers.map((u) => u.email)).toContain('other@acme.io');
    } finally {
      vi.useRealTimers();
    }
  });

  it('updates the account type of signed-up users only', async () => {
    await simControl(sim, '/seed', { users: [{ email: 'dev@acme.io', accountType: 'DEVELOPER' }, { email: 'inv@acme.io', status: 'invited' }] });
    const uid = await uidOf('dev@acme.io');
    const inline = await call(`mutation { updateUserAccountType(uid: "${uid}", accountType: WORKSPACE_ADMIN) { ok } }`);
    expect(inline.body).toEqual({ data: { updateUserAccountType: { ok: true } } });
    expect((await users()).activeUsers.find((u) => u.uid === uid)?.accountType).toBe('WORKSPACE_ADMIN');
    expect(errorCode(await call(updateVars, { uid: 'a'.repeat(64), accountType: 'BUSINESS' }))).toBe('USER_NOT_FOUND');
    const badEnum = await call(updateVars, { uid, accountType: 'OWNER' });
    expect(badEnum.status).toBe(400);
    expect(badEnum.body.errors?.[0]?.message).toMatch(/UserAccountType/);
  });

  it('disables a user out of activeUsers; re-inviting says to re-enable in the UI', async () => {
    await simControl(sim, '/seed', { users: [{ email: 'leaver@acme.io' }] });
    const uid = await uidOf('leaver@acme.io');
    expect((await call(disableVars, { uid })).body).toEqual({ data: { disableUser: { ok: true } } });
    expect((await users()).activeUsers.map((u) => u.email)).not.toContain('leaver@acme.io');
    const state = (await simControl(sim, '/state', undefined, 'GET')) as { disabledUsers: Array<{ email: string }> };
    expect(state.disabledUsers.map((u) => u.email)).toEqual(['leaver@acme.io']);
    expect((await call(disableVars, { uid })).body).toEqual({ data: { disableUser: { ok: true } } });
    expect(errorCode(await call(disableVars, { uid: 'b'.repeat(64) }))).toBe('USER_NOT_FOUND');
    expect(errorCode(await call(updateVars, { uid, accountType: 'ADMIN' }))).toBe('USER_DISABLED');
    const again = await call(inviteVars, { email: 'leaver@acme.io', accountType: 'DEVELOPER' });
    expect(errorCode(again)).toBe('USER_DISABLED');
    expect(again.body.errors?.[0]?.message).toMatch(/re-enabled in the Paradime UI/);
  });

  it('refuses to disable or demote the last ADMIN (a simulator choice)', async () => {
    const admin = await uidOf('admin@sandbox.local');
    expect(errorCode(await call(disableVars, { uid: admin }))).toBe('LAST_ADMIN');
    expect(errorCode(await call(updateVars, { uid: admin, accountType: 'DEVELOPER' }))).toBe('LAST_ADMIN');
    expect((await call(updateVars, { uid: admin, accountType: 'ADMIN' })).body.errors).toBeUndefined();
    await simControl(sim, '/seed', { users: [{ email: 'second@acme.io', accountType: 'ADMIN' }] });
    expect((await call(updateVars, { uid: admin, accountType: 'DEVELOPER' })).body.errors).toBeUndefined();
    expect(errorCode(await call(disableVars, { uid: await uidOf('second@acme.io') }))).toBe('LAST_ADMIN');
  });

  it('seeds active, invited (SENT, ACTIVE, EXPIRED) and disabled users, and rejects bad seeds', async () => {
    await simControl(sim, '/seed', {
      users: [
        { email: 'a@acme.io', name: 'A Person', accountType: 'BUSINESS', uid: 'c'.repeat(64) },
        { email: 'b@acme.io', status: 'invited', inviteStatus: 'ACTIVE' },
        { email: 'c@acme.io', status: 'invited', inviteStatus: 'EXPIRED', accountType: 'ADMIN' },
        { email: 'd@acme.io', status: 'disabled' },
      ],
    });
    const { activeUsers, invitedUsers } = await users();
    expect(activeUsers).toContainEqual({ uid: 'c'.repeat(64), email: 'a@acme.io', name: 'A Person', accountType: 'BUSINESS' });
    expect(activeUsers.map((u) => u.email)).not.toContain('d@acme.io');
    expect(invitedUsers.map((u) => u.inviteStatus)).toEqual(['ACTIVE', 'EXPIRED']);
    await expect(simControl(sim, '/accept', { email: 'c@acme.io' })).rejects.toThrow(/expired/);
    await expect(simControl(sim, '/seed', { users: [{ email: 'a@acme.io' }] })).rejects.toThrow(/400/);
    await expect(simControl(sim, '/seed', { users: [{ email: 'x@acme.io', accountType: 'OWNER' }] })).rejects.toThrow(/400/);
    await simControl(sim, '/reset');
    expect((await users()).activeUsers).toHaveLength(1);
  });

  it('answers request errors with 400 and a GraphQL errors body, unknown paths with 404', async () => {
    expect((await call('query { listUsers { ok ')).status).toBe(400);
    expect((await call('query { nope }')).status).toBe(400);
    const noQuery = await fetch(sim.targetUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...keyHeaders }, body: '{}' });
    expect(noQuery.status).toBe(400);
    const notJson = await fetch(sim.targetUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...keyHeaders }, body: '{"query":' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as GqlAnswer['body']).errors).toHaveLength(1);
    expect((await fetch(`${sim.url}/api/v2/graphql`, { method: 'POST' })).status).toBe(404);
  });

  it('limits the request rate when asked, answering 429 with Retry-After', async () => {
    const limited = await serveSimulator(createParadimeSimulator({ requestsPerSecond: 2 }));
    try {
      const answers = await Promise.all([1, 2, 3, 4].map(() => gql(limited.targetUrl, listUsers)));
      const throttled = answers.find((a) => a.status === 429);
      expect(throttled?.headers.get('retry-after')).toBe('1');
    } finally {
      await limited.close();
    }
  });
});

describe('paradime target config', () => {
  const url = 'https://api.paradime.io/api/v1/abc/graphql';
  it.each([
    [{ url }, paradimeCredentialMessages.missing],
    [{ url, apiKey: 'k', apiSecret: 's', bearerToken: 'prdm_wsp_x' }, paradimeCredentialMessages.both],
    [{ url, apiKey: 'k' }, paradimeCredentialMessages.keyWithoutSecret],
    [{ url, apiSecret: 's' }, paradimeCredentialMessages.secretWithoutKey],
    [{ url, bearerToken: 'prdm_cmp_x' }, paradimeCredentialMessages.companyWithoutWorkspace],
  ])('rejects %o', (target, message) => {
    const result = paradimeTargetSchema.safeParse(target);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toContain(message);
  });
  it.each([{ url, apiKey: 'k', apiSecret: 's' }, { url, bearerToken: 'prdm_wsp_x' }, { url, bearerToken: 'prdm_cmp_x', workspaceUid: 'w' }])('accepts %o', (target) => {
    expect(paradimeTargetSchema.safeParse(target).success).toBe(true);
  });
});

describe('paradime connector specifics', () => {
  let sim: RunningSimulator;
  let connector: Connector;
  const connect = (fields: Partial<ParadimeTarget> = { apiKey: 'sandbox', apiSecret: 'sandbox' }): Connector =>
    createParadimeConnector(paradimeTargetSchema.parse({ url: sim.targetUrl, ...fields }), { logger: createSilentLogger(), retries: 2, backoffMs: 10 });
  const requestCount = async (): Promise<number> => (await simRequests(sim)).length;
  const find = async (email: string): Promise<TargetAccount> => {
    const account = await connector.findByEmail(email);
    if (!account) throw new Error(`${email} not found`);
    return account;
  };

  beforeEach(async () => {
    sim = await serveSimulator(createParadimeSimulator());
    connector = connect();
  });
  afterEach(async () => {
    await connector.close();
    await sim.close();
  });

  it('invites: the new account has no id until accepted, then is active with the role', async () => {
    const created = await connector.createAccount({ email: 'new@acme.io', name: 'New Person', role: 'developer' });
    expect(created).toEqual({ id: null, email: 'new@acme.io', name: null, role: 'DEVELOPER', status: 'invited' });
    expect(await find('NEW@acme.io')).toMatchObject({ id: null, status: 'invited', role: 'DEVELOPER' });
    await simControl(sim, '/accept', { email: 'new@acme.io' });
    expect(await find('new@acme.io')).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), status: 'active', name: 'New' });
  });

  it('refuses to change or disable an invitation until it is accepted, then uses the new uid', async () => {
    const invited = await connector.createAccount({ email: 'wait@acme.io', name: null, role: 'DEVELOPER' });
    for (const attempt of [() => connector.updateAccount(invited, { role: 'BUSINESS' }), () => connector.disableAccount(invited)]) {
      const error = await expectBridgeError(attempt);
      expect(error).toMatchObject({ code: 'TARGET_REJECTED', kind: 'permanent', details: { reason: 'invitation-pending' } });
    }
    const state = (await simControl(sim, '/state', undefined, 'GET')) as { invitedUsers: unknown[] };
    expect(state.invitedUsers).toEqual([{ email: 'wait@acme.io', accountType: 'DEVELOPER', inviteStatus: 'SENT' }]);
    expect(await connector.updateAccount(invited, { role: 'DEVELOPER' })).toBe(invited);
    await simControl(sim, '/accept', { email: 'wait@acme.io' });
    const updated = await connector.updateAccount(invited, { role: 'BUSINESS' });
    expect(updated).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), role: 'BUSINESS', status: 'active' });
    await connector.disableAccount(invited);
    expect(await connector.findByEmail('wait@acme.io')).toBeNull();
  });

  it('cannot bring a disabled user back: re-inviting is UNSUPPORTED_OPERATION pointing at the UI', async () => {
    await simControl(sim, '/seed', { users: [{ email: 'gone@acme.io', status: 'disabled' }] });
    const error = await expectBridgeError(() => connector.createAccount({ email: 'gone@acme.io', name: null, role: 'DEVELOPER' }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OPERATION', kind: 'permanent', details: { targetError: 'USER_DISABLED' } });
    expect(error.message).toMatch(/Paradime UI/);
    expect(connector.capabilities).toMatchObject({ canReactivate: false, canDelete: false, deactivation: 'native', create: 'invitation' });
  });

  it('answers a disable of a vanished user as unconfirmed (the engine re-reads), and refuses delete and unknown roles locally', async () => {
    const ghost: TargetAccount = { id: 'd'.repeat(64), email: 'ghost@acme.io', name: null, role: 'DEVELOPER', status: 'active' };
    expect(await connector.disableAccount(ghost)).toBe('unconfirmed');
    expect(await connector.disableAccount({ ...ghost, id: null })).toBe('unconfirmed');
    await simControl(sim, '/requests', undefined, 'DELETE');
    expect((await expectBridgeError(() => connector.deleteAccount(ghost))).code).toBe('UNSUPPORTED_OPERATION');
    const badRole = await expectBridgeError(() => connector.createAccount({ email: 'r@acme.io', name: null, role: 'OWNER' }));
    expect(badRole).toMatchObject({ code: 'TARGET_REJECTED', details: { reason: 'unknown-role' } });
    expect(await requestCount()).toBe(0);
  });

  it('marks only a lone ADMIN as last-admin', async () => {
    expect((await find('admin@sandbox.local')).protection).toBe('last-admin');
    await simControl(sim, '/seed', { users: [{ email: 'boss@acme.io', accountType: 'ADMIN' }] });
    const accounts: TargetAccount[] = [];
    for await (const account of connector.listAccounts()) accounts.push(account);
    expect(accounts.filter((a) => a.protection !== undefined)).toEqual([]);
  });

  it('retries listUsers, updateUserAccountType and disableUser but never inviteUser', async () => {
    await injectFault(sim, { kind: 'status', status: 503, count: 1 });
    await simControl(sim, '/requests', undefined, 'DELETE');
    const error = await expectBridgeError(() => connector.createAccount({ email: 'once@acme.io', name: null, role: 'DEVELOPER' }));
    expect(error.code).toBe('TARGET_UNAVAILABLE');
    expect(await requestCount()).toBe(1);
    await simControl(sim, '/seed', { users: [{ email: 'dev@acme.io' }] });
    const dev = await find('dev@acme.io');
    await injectFault(sim, { kind: 'status', status: 503, count: 2 });
    await connector.updateAccount(dev, { role: 'ANALYST' });
    await injectFault(sim, { kind: 'status', status: 503, count: 1 });
    await connector.disableAccount(dev);
    expect(await connector.findByEmail('dev@acme.io')).toBeNull();
  });

  it('works with workspace and company bearer tokens and names the workspace', async () => {
    for (const fields of [{ bearerToken: 'prdm_wsp_sandbox' }, { bearerToken: 'prdm_cmp_sandbox', workspaceUid: paradimeSandboxWorkspaceUid }]) {
      const bearer = connect(fields);
      try {
        expect(await bearer.checkAccess()).toEqual({ ok: true, problems: [], identity: `workspace Sandbox (${paradimeSandboxWorkspaceUid})` });
      } finally {
        await bearer.close();
      }
    }
    const elsewhere = connect({ apiKey: 'sandbox', apiSecret: 'sandbox', workspaceUid: 'e'.repeat(64) });
    try {
      const access = await elsewhere.checkAccess();
      expect(access.ok).toBe(false);
      expect(access.problems[0]).toMatch(/workspaceUid/);
    } finally {
      await elsewhere.close();
    }
  });

  it.each([
    'User x@y.io already exists in this workspace',
    'User has already been invited',
    'This user is disabled',
    'User management is disabled for this API key',
    'The last admin cannot be disabled',
    'User not found',
    'Workspace not found',
    'Unauthorized',
  ])('never reads meaning into a message without extensions.code: "%s" is TARGET_REJECTED', (message) => {
    expect(paradimeErrorCode({ message })).toBe('TARGET_REJECTED');
  });

  it.each([
    ['USER_ALREADY_EXISTS', 'TARGET_CONFLICT'],
    ['USER_ALREADY_INVITED', 'TARGET_CONFLICT'],
    ['USER_DISABLED', 'UNSUPPORTED_OPERATION'],
    ['USER_NOT_FOUND', 'TARGET_NOT_FOUND'],
    ['LAST_ADMIN', 'PROTECTED_ACCOUNT'],
    ['UNAUTHENTICATED', 'TARGET_AUTH'],
    ['FORBIDDEN', 'TARGET_AUTH'],
    ['INVALID_EMAIL', 'TARGET_REJECTED'],
    ['user_not_found', 'TARGET_REJECTED'],
    ['SOMETHING_NEW', 'TARGET_REJECTED'],
  ])('classifies extensions.code %s exactly, as %s', (extensionCode, code) => {
    expect(paradimeErrorCode({ message: 'whatever the words', extensions: { code: extensionCode } })).toBe(code);
  });
});
