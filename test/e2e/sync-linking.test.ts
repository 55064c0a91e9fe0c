import { afterEach, describe, expect, it } from 'vitest';
import type { SyncState } from '../../src/directory/store.js';
import { injectFault, isTargetWrite, simControl, simRequests } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { accountsWith, createScimUser, hasRoleOf, person, targetAccount } from './sync-helpers.js';

/**
 * One account, one person (docs/architecture.md, promise 8): a target account is linked to at most one
 * SCIM user of a connection. Okta and Entra both let two users share an email (an admin identity
 * beside the normal one); the second claimant fails with TARGET_CONFLICT and nothing is written
 * to the account for it, however the jobs interleave.
 */

const RE = 'redis-enterprise' as const;

/** An Okta user named `name` whose email is `email` (userNames differ, the email is shared). */
const sharing = (name: string, email: string): Record<string, unknown> => ({
  ...okta.createUser(person(name)),
  emails: [{ primary: true, value: email, type: 'work' }],
});

async function stateOf(tb: TestBridge, userId: string): Promise<SyncState | undefined> {
  return (await tb.store.getSyncStates(RE, [userId]))[0];
}

describe.each(['sqlite', 'postgres'] as const)('account linking on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('a second SCIM user with the same email fails with TARGET_CONFLICT, and its changes never reach the account', async () => {
    tb = await startTestBridge({ store: kind, types: [RE], runWorkers: false });
    const { engine } = tb.bridge;
    const sim = tb.sims.get(RE)!;
    const admin = await createScimUser(tb, RE, sharing('jane.admin', 'jane@example.com'));
    await engine.drain();
    const linked = await stateOf(tb, admin);
    expect(linked).toMatchObject({ status: 'synced', accountStatus: 'active', isManaged: true });
    expect(linked?.targetId).not.toBeNull();

    await simControl(sim, '/requests', undefined, 'DELETE');
    const work = await createScimUser(tb, RE, sharing('jane.work', 'jane@example.com'));
    await engine.drain();
    const refused = await stateOf(tb, work);
    expect(refused).toMatchObject({ status: 'failed', targetId: null, isManaged: false, lastError: { code: 'TARGET_CONFLICT' } });
    // The reason names the other SCIM user (its id, nothing secret).
    expect(refused?.lastError?.message).toContain(admin);
    expect((await simRequests(sim)).filter(isTargetWrite)).toEqual([]);

    // Deactivating the second user leaves the shared account alone.
    await tb.scim(RE).patch(`/Users/${work}`, okta.setActive(false)).expect(200);
    await engine.drain();
    expect((await simRequests(sim)).filter(isTargetWrite)).toEqual([]);
    expect(hasRoleOf(await targetAccount(tb, RE, 'jane@example.com'), 'db_viewer')).toBe(true);
    expect(await stateOf(tb, work)).toMatchObject({ targetId: null, accountStatus: 'absent' });

    // Deactivating the first one takes access away, and the second does not read as active.
    await tb.scim(RE).patch(`/Users/${admin}`, okta.setActive(false)).expect(200);
    await engine.drain();
    expect(hasRoleOf(await targetAccount(tb, RE, 'jane@example.com'), 'none')).toBe(true);
    expect(await stateOf(tb, admin)).toMatchObject({ status: 'synced', role: 'none', targetId: linked?.targetId });
    expect(await stateOf(tb, work)).not.toMatchObject({ accountStatus: 'active' });
  });

  it('two users with one email created at once: one account, one link, however the target answers concurrent creates', async () => {
    // allowDuplicateEmails: the target does not refuse a second create, so only the bridge can.
    tb = await startTestBridge({ store: kind, types: [RE], simulator: { allowDuplicateEmails: true, latencyMs: 20 }, limits: { concurrency: 8 } });
    // The worst interleaving: each job that looks for another claimant of the email waits (up to
    // 500 ms) for a second one to look too, so without the target locks both would look before
    // either recorded its create, and both would create.
    const store = tb.store;
    const lookUp = store.findSyncStatesByTargetEmail.bind(store);
    let waiting: (() => void)[] = [];
    store.findSyncStatesByTargetEmail = async (connection, email) => {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length < 2) return void setTimeout(resolve, 500);
        for (const release of waiting) release();
        waiting = [];
      });
      return lookUp(connection, email);
    };
    const ids = await Promise.all(['sam.admin', 'sam.work', 'sam.test'].map((name) => createScimUser(tb!, RE, sharing(name, 'sam@example.com'))));
    const states = await eventually(async () => {
      const found = await tb!.store.getSyncStates(RE, ids);
      return found.length === ids.length && found.every((s) => s.status === 'synced' || s.status === 'failed') ? found : null;
    }, { timeoutMs: 15_000, what: 'every user converged or refused' });
    expect(await accountsWith(tb, RE, 'sam@example.com')).toHaveLength(1);
    const [winner, ...others] = [...states].sort((a, b) => (a.status === 'synced' ? -1 : b.status === 'synced' ? 1 : 0));
    expect(winner).toMatchObject({ status: 'synced', isManaged: true });
    for (const other of others) {
      expect(other).toMatchObject({ status: 'failed', targetId: null, lastError: { code: 'TARGET_CONFLICT' } });
      expect(other.lastError?.message).toContain(winner!.userId);
    }
  });

  it('a user whose account vanished from the target is unlinked, even when recreating it fails', async () => {
    tb = await startTestBridge({ store: kind, types: [RE], runWorkers: false });
    const { engine } = tb.bridge;
    const id = await createScimUser(tb, RE, okta.createUser(person('vanished')));
    await engine.drain();
    const linked = await stateOf(tb, id);
    const connector = engine.connection(RE)!.connector;
    await connector.deleteAccount((await targetAccount(tb, RE, 'vanished@example.com'))!);
    // The next run finds no account, and the cluster refuses the new one (a permanent 400).
    await injectFault(tb.sims.get(RE)!, { kind: 'status', status: 400, method: 'POST', count: 1 });
    await tb.store.enqueueJobs(RE, 'reconcile', [id]);
    await engine.drain();
    const state = await stateOf(tb, id);
    expect(state).toMatchObject({ status: 'failed', targetId: null, accountStatus: 'absent', targetEmail: 'vanished@example.com' });
    expect(linked?.targetId).not.toBeNull();
    // The next run creates a new account and links that one.
    await tb.store.enqueueJobs(RE, 'reconcile', [id]);
    await engine.drain();
    const relinked = await stateOf(tb, id);
    expect(relinked).toMatchObject({ status: 'synced', accountStatus: 'active' });
    expect(await connector.getAccount!(relinked!.targetId!)).toMatchObject({ email: 'vanished@example.com' });
  });

  it('a person deleted and created again gets a live account, never the one being deleted', async () => {
    tb = await startTestBridge({ store: kind, types: [RE], runWorkers: false });
    const { engine } = tb.bridge;
    const scim = tb.scim(RE);
    const first = await createScimUser(tb, RE, okta.createUser(person('again')));
    await engine.drain();
    const old = await stateOf(tb, first);
    await scim.delete(`/Users/${first}`).expect(204);
    // Another replica holds the deletion's job, so the new person's job runs first.
    const [deletion] = await tb.store.claimJobs(RE, { limit: 1, workerId: 'other-replica', leaseMs: 60_000 });
    expect(deletion?.userId).toBe(first);
    const second = await createScimUser(tb, RE, okta.createUser(person('again')));
    await engine.drain();
    expect((await stateOf(tb, second))?.targetId ?? null).toBeNull();
    // The deletion runs; the new person is linked once the old account is gone.
    await tb.store.retryJob(deletion!, { delayMs: 0, lastError: 'released by the test' });
    engine.start();
    const linked = await eventually(async () => {
      const state = await stateOf(tb!, second);
      return state?.status === 'synced' ? state : null;
    }, { timeoutMs: 15_000, what: 'the new person synced' });
    expect(linked.targetId).not.toBe(old?.targetId);
    const connector = engine.connection(RE)!.connector;
    expect(await connector.getAccount!(linked.targetId!)).toMatchObject({ email: 'again@example.com' });
    expect(await accountsWith(tb, RE, 'again@example.com')).toHaveLength(1);
    expect(await stateOf(tb, first)).toBeUndefined();
  });
});
