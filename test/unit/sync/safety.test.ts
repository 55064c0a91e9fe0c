import { silentNotifier } from '../../../src/sync/notifier.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorCapabilities, TargetAccount } from '../../../src/connectors/types.js';
import { createStore } from '../../../src/directory/create-store.js';
import type { Store, SyncState } from '../../../src/directory/store.js';
import { BridgeError } from '../../../src/errors.js';
import { createSilentLogger } from '../../../src/logging/logger.js';
import type { Decision } from '../../../src/mapping/types.js';
import type { SyncConnection } from '../../../src/sync/connection.js';
import { RemovalGuard } from '../../../src/sync/guard.js';
import { planConvergence, type Plan } from '../../../src/sync/plan.js';
import { admitPlan, HoldRequest, targetKeysOf, type SafetyContext } from '../../../src/sync/safety.js';

/** The one place every plan is admitted (src/sync/safety.ts), against a real in-memory store. */

const capabilities: ConnectorCapabilities = {
  create: 'sync', deactivation: 'delete', refusesTakenEmail: true, canReactivate: true, canDelete: true, isEmailMutable: false, isNameMutable: true, isRoleMutable: true, roles: ['Owner', 'Member', 'Viewer'],
};
const profile = { email: 'ada@example.com', name: 'Ada Lovelace', givenName: null, familyName: null };
const rule = { index: null, description: 'default' };
const present = (role = 'Member'): Decision => ({ kind: 'present', role, profile, rule, reason: 'r' });
const absent: Decision = { kind: 'absent', profile, rule, reason: 'deactivated' };
const account = (over: Partial<TargetAccount> = {}): TargetAccount => ({ id: '7', email: 'ada@example.com', name: 'Ada Lovelace', role: 'Viewer', status: 'active', ...over });
const state = (userId: string, over: Partial<SyncState> = {}): SyncState => ({
  connection: 'c', userId, status: 'synced', targetId: '7', targetEmail: 'ada@example.com', role: 'Viewer', isManaged: true, accountStatus: 'active',
  lastError: null, lastSyncAt: 1, updatedAt: 1, ...over,
});
const planFor = (decision: Decision, current: TargetAccount | null): Plan => planConvergence({ decision, account: current, previousStatus: null, capabilities });

describe('admitPlan', () => {
  let store: Store;
  let connection: SyncConnection;
  const ctx = (over: Partial<SafetyContext> = {}): SafetyContext => ({
    store, connection, guard: new RemovalGuard(store), userId: 'me', state: null, decision: present(), isApproved: false, isStrict: false, ...over,
  });
  const refusal = async (run: Promise<unknown>): Promise<BridgeError> => {
    const error = await run.then(() => null, (err: unknown) => err);
    expect(error).toBeInstanceOf(BridgeError);
    return error as BridgeError;
  };

  beforeAll(async () => {
    store = createStore('sqlite::memory:');
    await store.migrate();
    connection = {
      name: 'c', type: 'redis-cloud', mode: 'eventual', connector: { capabilities } as SyncConnection['connector'], evaluate: async () => present(), roles: null,
      settings: { maxRetryAgeMs: 60_000, inlineWaitMs: 0, guardShare: 0.2, guardMinimum: 1, guardWindowMs: 60_000 } as SyncConnection['settings'],
      concurrency: 1, drift: 'repair', unmanaged: 'report', writeLock: null, protectedEmails: new Set(['boss@example.com']), logger: createSilentLogger(), notifier: silentNotifier,
    };
  });
  afterAll(() => store.close());

  it('lets an ordinary plan through unchanged', async () => {
    const plan = planFor(present(), account());
    expect(await admitPlan(ctx(), plan, account())).toEqual({ plan, account: account() });
  });

  it('refuses any step on the owner or the key holder, and lets a plan without steps through', async () => {
    for (const protection of ['owner', 'api-key-user'] as const) {
      const owner = account({ protection });
      const error = await refusal(admitPlan(ctx(), planFor(present(), owner), owner));
      expect(error).toMatchObject({ code: 'PROTECTED_ACCOUNT', kind: 'permanent' });
      const inSync = planFor(present('Viewer'), owner);
      expect((await admitPlan(ctx(), inSync, owner)).plan.steps).toEqual([]);
    }
  });

  it('turns a plan on an account listed in protected.emails into a protected one', async () => {
    const boss = account({ email: 'Boss@Example.com' });
    const { plan } = await admitPlan(ctx(), planFor(present(), boss), boss);
    expect(plan).toMatchObject({ kind: 'protected', steps: [] });
  });

  it('holds any change to the last admin until approved', async () => {
    const admin = account({ protection: 'last-admin' });
    await expect(admitPlan(ctx(), planFor(present(), admin), admin)).rejects.toBeInstanceOf(HoldRequest);
    expect((await admitPlan(ctx({ isApproved: true }), planFor(present(), admin), admin)).plan.steps).toHaveLength(1);
  });

  it('holds removals the guard refuses', async () => {
    const guarded = ctx({ decision: absent, guard: new RemovalGuard(store) });
    // guardMinimum 1 with no managed account: the first removal passes, the second is held.
    expect((await admitPlan(guarded, planFor(absent, account()), account())).plan.steps).toEqual([{ op: 'delete' }]);
    await expect(admitPlan(guarded, planFor(absent, account()), account())).rejects.toBeInstanceOf(HoldRequest);
  });

  it('refuses an unsupported plan in strict mode only', async () => {
    const other = { ...present('Owner'), profile: { ...profile, email: 'new@example.com' } };
    const plan = planFor(other, account());
    expect(plan.kind).toBe('unsupported');
    expect(await refusal(admitPlan(ctx({ isStrict: true, decision: other }), plan, account()))).toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
    expect((await admitPlan(ctx({ decision: other }), plan, account())).plan).toBe(plan);
  });

  it('refuses another user\'s account with TARGET_CONFLICT naming that user; transient while that user is being deleted', async () => {
    const live = await store.createUser('c', { userName: 'holder@example.com', externalId: null, active: true, emails: [], attributes: {} }, { requestId: 'r' });
    await store.putSyncState(state(live.id));
    const error = await refusal(admitPlan(ctx(), planFor(present(), account()), account()));
    expect(error).toMatchObject({ code: 'TARGET_CONFLICT', kind: 'permanent', details: { holderUserId: live.id, email: 'ada@example.com' } });
    expect(error.message).toContain(live.id);
    // Before any create as well: the email is claimed.
    expect(await refusal(admitPlan(ctx(), planFor(present(), null), null))).toMatchObject({ code: 'TARGET_CONFLICT' });
    // The holder itself is linked by id: nothing to check.
    expect((await admitPlan(ctx({ userId: live.id, state: state(live.id) }), planFor(present('Viewer'), account()), account())).account).toEqual(account());
    // A removal has nothing of this user's to remove.
    expect(await admitPlan(ctx({ decision: absent }), planFor(absent, account()), account())).toMatchObject({ plan: { kind: 'converge', steps: [] }, account: null });
    await store.deleteUser('c', live.id, {}, { requestId: 'r' });
    expect(await refusal(admitPlan(ctx(), planFor(present(), account()), account()))).toMatchObject({ code: 'TARGET_CONFLICT', kind: 'transient' });
    await store.deleteSyncState('c', live.id);
  });

  it('an invitation without an id is claimed by its email; a refused or deleted state claims nothing', async () => {
    await store.putSyncState(state('invited', { targetId: null, accountStatus: 'invited' }));
    const invite = account({ id: null, status: 'invited' });
    expect(await refusal(admitPlan(ctx(), planFor(present('Viewer'), invite), invite))).toMatchObject({ code: 'TARGET_CONFLICT' });
    await store.putSyncState(state('invited', { targetId: null, accountStatus: 'absent', status: 'failed' }));
    expect((await admitPlan(ctx(), planFor(present(), null), null)).plan.steps).toHaveLength(1);
  });
});

describe('targetKeysOf', () => {
  it('locks every email the job may use and the linked id, lowercased, once', () => {
    expect(targetKeysOf(state('u', { targetEmail: 'Ada@Example.com' }), present())).toEqual(['email:ada@example.com', 'id:7']);
    expect(targetKeysOf(state('u', { targetEmail: 'old@example.com', targetId: null }), present())).toEqual(['email:old@example.com', 'email:ada@example.com']);
    expect(targetKeysOf(null, { kind: 'keep', profile: null, rule: null, reason: 'no email' })).toEqual([]);
  });
});
