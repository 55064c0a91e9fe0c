import { afterEach, describe, expect, it } from 'vitest';
import { simControl } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, logLines, simState, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person, waitForSync } from './sync-helpers.js';

/**
 * A deprovisioning counts as done only when Paradime confirms it, or a fresh read shows the
 * account gone: a disable answered by a GraphQL error is a failure with the target's message,
 * whatever words the message uses, and the account keeps being reported until it is removed.
 */

interface ParadimeState {
  activeUsers: { email: string }[];
  disabledUsers: { email: string }[];
}

const isActiveIn = (state: ParadimeState, email: string): boolean => state.activeUsers.some((u) => u.email === email);
const isDisabledIn = (state: ParadimeState, email: string): boolean => state.disabledUsers.some((u) => u.email === email);

/** A SCIM user whose Paradime invitation was accepted and linked. */
async function linkedUser(tb: TestBridge, name: string): Promise<string> {
  const id = await createScimUser(tb, 'paradime', okta.createUser(person(name)));
  await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'active' && typeof s.targetId === 'string', 'invitation accepted and linked');
  return id;
}

async function stateOf(tb: TestBridge, userId: string) {
  return (await tb.store.getSyncStates('paradime', [userId]))[0] ?? null;
}

describe.each(['sqlite', 'postgres'] as const)('Paradime deprovisioning on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  const undocumented = [
    { message: 'User management is disabled for this API key' },
    { message: 'Workspace not found' },
    { message: 'Cannot disable the last admin of the workspace' },
  ];

  it.each(undocumented)('a disable answered "$message" (no code) fails with that message and keeps the account', async ({ message }) => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { autoAcceptSeconds: 0.1 } });
    const sim = tb.sims.get('paradime')!;
    const name = `nocode${undocumented.findIndex((u) => u.message === message)}`;
    const email = `${name}@example.com`;
    const id = await linkedUser(tb, name);
    await simControl(sim, '/graphql-errors', { operation: 'disableUser', message, count: 100 });
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    const sync = await waitForSync(tb, 'paradime', id, (s) => s.state === 'failed', 'the disable failed');
    expect((sync.lastError as { code: string; message: string }).message).toContain(message);
    expect((sync.lastError as { code: string }).code).toBe('TARGET_REJECTED');
    expect(sync.accountStatus).toBe('active');
    expect(isActiveIn(await simState<ParadimeState>(sim), email)).toBe(true);
    // The audit log says the disable failed, not that it was done (it is written just after the state).
    const audit = await eventually(async () => {
      const [latest] = await tb!.store.listAudit({ connection: 'paradime', userId: id, limit: 1 });
      return latest?.decision.plan && (latest.decision.plan as { steps: { op: string }[] }).steps.some((step) => step.op === 'disable') ? latest : null;
    }, { what: 'the audit record of the disable' });
    expect(audit.decision.outcome).toBe('failed');
    expect(audit.decision.calls).toEqual([expect.objectContaining({ op: 'disable', ok: false })]);
  });

  it('a DELETE whose disable is refused keeps the tombstone and reports the failure', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { autoAcceptSeconds: 0.1 } });
    const sim = tb.sims.get('paradime')!;
    const id = await linkedUser(tb, 'deleted');
    await simControl(sim, '/graphql-errors', { operation: 'disableUser', message: 'User management is disabled for this API key', count: 100 });
    await tb.scim('paradime').delete(`/Users/${id}`).expect(204);
    const state = await eventually(async () => {
      const s = await stateOf(tb!, id);
      return s?.status === 'failed' ? s : null;
    }, { what: 'the failed disable recorded' });
    expect(state.accountStatus).toBe('active');
    expect(state.lastError?.message).toContain('User management is disabled for this API key');
    // Not purged: the bridge still knows it owes a removal.
    expect(await tb.store.getUser('paradime', id, { includeDeleted: true })).toMatchObject({ deleted: true });
    expect(isActiveIn(await simState<ParadimeState>(sim), 'deleted@example.com')).toBe(true);
  });

  // The codes the simulator documents (docs/simulators/paradime.md). A code that says the user is
  // gone counts only once a fresh read agrees: here the user is still listed active.
  const documented = [
    { code: 'USER_NOT_FOUND', expected: 'REMOVAL_UNCONFIRMED' },
    { code: 'USER_DISABLED', expected: 'REMOVAL_UNCONFIRMED' },
    { code: 'LAST_ADMIN', expected: 'PROTECTED_ACCOUNT' },
    { code: 'UNAUTHENTICATED', expected: 'TARGET_AUTH' },
    { code: 'INVALID_EMAIL', expected: 'TARGET_REJECTED' },
  ];

  it.each(documented)('a disable answered $code while the user is still active ends $expected', async ({ code, expected }) => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { autoAcceptSeconds: 0.1 } });
    const sim = tb.sims.get('paradime')!;
    const name = `code${documented.findIndex((d) => d.code === code)}`;
    const id = await linkedUser(tb, name);
    await simControl(sim, '/graphql-errors', { operation: 'disableUser', message: `simulated ${code}`, code, count: 100 });
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    const sync = await waitForSync(tb, 'paradime', id, (s) => s.state === 'failed', 'the disable failed');
    expect((sync.lastError as { code: string }).code).toBe(expected);
    expect(sync.accountStatus).toBe('active');
    expect(isActiveIn(await simState<ParadimeState>(sim), `${name}@example.com`)).toBe(true);
  });

  it('a failed disable succeeds on a later attempt once the target accepts it', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { autoAcceptSeconds: 0.1 } });
    const sim = tb.sims.get('paradime')!;
    const id = await linkedUser(tb, 'later');
    await simControl(sim, '/graphql-errors', { operation: 'disableUser', message: 'Workspace not found', count: 1 });
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'failed', 'the disable failed');
    await tb.store.enqueueJobs('paradime', 'reconcile', [id]);
    tb.bridge.engine.wake('paradime');
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'disabled', 'disabled on the second attempt');
    expect(isDisabledIn(await simState<ParadimeState>(sim), 'later@example.com')).toBe(true);
  });
});

describe.each(['sqlite', 'postgres'] as const)('reconciler: disabled here, active there, on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('reports an account re-enabled in the target and disables it again', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { autoAcceptSeconds: 0.1 } });
    const sim = tb.sims.get('paradime')!;
    const id = await linkedUser(tb, 'reenabled');
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'disabled', 'disabled');
    // Someone clicks "Enable user" in Paradime's UI.
    await simControl(sim, '/enable', { email: 'reenabled@example.com' });
    const [report] = await tb.bridge.reconciler.runNow(['paradime']);
    expect(report?.drift).toEqual([expect.objectContaining({ kind: 'active-in-target', userId: id, email: 'reenabled@example.com' })]);
    expect(report?.queued).toBe(1);
    await eventually(async () => isDisabledIn(await simState<ParadimeState>(sim), 'reenabled@example.com'), { what: 'disabled again' });
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'disabled', 'disabled again');
  });

  it('links an account re-enabled in the target when the IdP wants the person back', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { autoAcceptSeconds: 0.1 } });
    const sim = tb.sims.get('paradime')!;
    const id = await linkedUser(tb, 'returning');
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    await waitForSync(tb, 'paradime', id, (s) => s.accountStatus === 'disabled', 'disabled');
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(true)).expect(200);
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'unsupported' && s.accountStatus === 'disabled', 'cannot re-enable through the API');
    await simControl(sim, '/enable', { email: 'returning@example.com' });
    const [report] = await tb.bridge.reconciler.runNow(['paradime']);
    expect(report?.drift).toEqual([expect.objectContaining({ kind: 'unlinked', userId: id })]);
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'active', 'linked again');
  });

  it('with drift: report, reports it at warn and leaves it', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], drift: 'report', simulator: { autoAcceptSeconds: 0.1 } });
    const sim = tb.sims.get('paradime')!;
    const id = await linkedUser(tb, 'reported');
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'disabled', 'disabled');
    await simControl(sim, '/enable', { email: 'reported@example.com' });
    const [report] = await tb.bridge.reconciler.runNow(['paradime']);
    expect(report?.drift).toEqual([expect.objectContaining({ kind: 'active-in-target', userId: id })]);
    expect(report?.queued).toBe(0);
    const lines = logLines(tb.logs);
    const line = lines.find((l) => l.kind === 'active-in-target');
    expect(line).toMatchObject({ level: 'warn', userId: id });
    expect(isActiveIn(await simState<ParadimeState>(sim), 'reported@example.com')).toBe(true);
  });
});
