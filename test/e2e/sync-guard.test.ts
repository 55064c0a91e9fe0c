import { afterEach, describe, expect, it } from 'vitest';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, hasRoleOf, targetAccount, waitForAccount, waitForSync, person } from './sync-helpers.js';

/**
 * The mass-deprovisioning guard (one malformed request must never wipe a target), the
 * reconciler (drift repaired or reported) and the decision audit log.
 */

describe.each(['sqlite', 'postgres'] as const)('guard, reconciler and audit on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('holds removals beyond the guard until approved', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'] });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await createScimUser(tb, 'yardstik', okta.createUser(person(`guard${i}`))));
    for (const id of ids) await waitForSync(tb, 'yardstik', id, (s) => s.state === 'synced', 'created');
    // One burst of deactivations: 12 managed accounts, the guard admits max(10, 20% of 12) = 10.
    for (const id of ids) await tb.scim('yardstik').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    // Holding a job, recording the user's state and the admitted removals are separate steps
    // of concurrent jobs: wait for all of them to be visible, never for one as a proxy of the rest.
    const remaining = async (): Promise<number> => {
      let count = 0;
      for (let i = 0; i < 12; i++) if (await targetAccount(tb!, 'yardstik', `guard${i}@example.com`)) count++;
      return count;
    };
    await eventually(
      async () =>
        (await tb!.store.listJobs('yardstik', { held: true })).length === 2 &&
        (await tb!.store.syncSummary('yardstik')).byStatus.held === 2 &&
        (await remaining()) === 2,
      { timeoutMs: 15_000, what: 'two removals held, ten done' },
    );
    const held = await tb.store.listJobs('yardstik', { held: true });
    expect(held[0]?.heldReason).toMatch(/mass-deprovisioning guard.*scim-bridge approve --connection yardstik/);

    expect(await tb.store.releaseJobs('yardstik')).toBe(2);
    tb.bridge.engine.wake('yardstik');
    for (const job of held) await waitForSync(tb, 'yardstik', job.userId, (s) => s.accountStatus === 'absent' && s.state === 'synced', 'removed once approved');
  });

  it('repairs a role changed in the target and an account deleted there', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    const id = await createScimUser(tb, 'redis-enterprise', okta.createUser(person('drift')));
    const account = await waitForAccount(tb, 'redis-enterprise', 'drift@example.com', (a) => hasRoleOf(a, 'db_viewer'), 'created');
    // The reconciler compares against the recorded state, written after the target answered.
    await waitForSync(tb, 'redis-enterprise', id, (s) => s.state === 'synced', 'creation recorded');
    const connector = tb.bridge.engine.connection('redis-enterprise')!.connector;
    await connector.updateAccount(account!, { role: 'admin' });
    const [report] = await tb.bridge.reconciler.runNow(['redis-enterprise']);
    expect(report?.drift).toEqual([expect.objectContaining({ kind: 'role-changed', userId: id })]);
    await waitForAccount(tb, 'redis-enterprise', 'drift@example.com', (a) => hasRoleOf(a, 'db_viewer'), 'role repaired');

    await connector.deleteAccount((await targetAccount(tb, 'redis-enterprise', 'drift@example.com'))!);
    const [second] = await tb.bridge.reconciler.runNow(['redis-enterprise']);
    expect(second?.drift.map((d) => d.kind)).toEqual(['deleted-in-target']);
    await waitForAccount(tb, 'redis-enterprise', 'drift@example.com', (a) => hasRoleOf(a, 'db_viewer'), 'account recreated');
  });

  it('only reports drift with drift: report, and links an account that already existed', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], drift: 'report', runWorkers: false });
    const connector = tb.bridge.engine.connection('redis-enterprise')!.connector;
    // The account exists before the IdP provisions the person: it is adopted, not duplicated.
    await connector.createAccount({ email: 'existing@example.com', name: 'Existing', role: 'db_member' });
    const id = await createScimUser(tb, 'redis-enterprise', okta.createUser(person('existing')));
    tb.bridge.engine.start();
    await waitForAccount(tb, 'redis-enterprise', 'existing@example.com', (a) => hasRoleOf(a, 'db_viewer'), 'adopted and converged');
    // The state is written after the target confirmed the change: wait for it, not for the account.
    await waitForSync(tb, 'redis-enterprise', id, (s) => s.state === 'synced', 'adoption recorded');
    const state = (await tb.store.getSyncStates('redis-enterprise', [id]))[0];
    expect(state).toMatchObject({ isManaged: true, status: 'synced' });

    await connector.updateAccount((await targetAccount(tb, 'redis-enterprise', 'existing@example.com'))!, { role: 'admin' });
    const [report] = await tb.bridge.reconciler.runNow(['redis-enterprise']);
    expect(report).toMatchObject({ queued: 0, drift: [expect.objectContaining({ kind: 'role-changed' })] });
    expect(hasRoleOf(await targetAccount(tb, 'redis-enterprise', 'existing@example.com'), 'admin')).toBe(true);
  });

  it('records each decision with the SCIM request id, the rule, the accounts and the calls', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-cloud'], simulator: { autoAcceptSeconds: 0.2 } });
    const response = await tb.scim('redis-cloud').post('/Users', okta.createUser(person('audited'))).set('X-Request-Id', 'req-audit-1').expect(201);
    const id = (response.body as { id: string }).id;
    await waitForSync(tb, 'redis-cloud', id, (s) => s.state === 'synced', 'synced');
    // The audit record is appended after the state is written: wait for it too.
    const created = await eventually(
      async () => (await tb!.store.listAudit({ connection: 'redis-cloud', userId: id })).find((r) => ((r.decision.calls ?? []) as { op: string }[]).some((c) => c.op === 'create')),
      { what: 'the create decision in the audit log' },
    );
    expect(created?.requestIds).toContain('req-audit-1');
    expect(created?.decision).toMatchObject({
      decision: { kind: 'present', role: 'Viewer', rule: { index: null } },
      before: null,
      after: expect.objectContaining({ email: 'audited@example.com' }),
      calls: [expect.objectContaining({ op: 'create', ok: true })],
      outcome: 'synced',
    });
  });
});
