import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvitationWatcher } from '../../src/sync/invitation-watcher.js';
import { simControl, simRequests } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, simState, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person, waitForSync } from './sync-helpers.js';

/**
 * Pending invitations are watched with one target listing per connection per interval, however
 * many there are; a change that waits on an invitation is looked at sooner (seconds), so a
 * removal lands soon after the person signs up.
 */

interface ParadimeState {
  activeUsers: { email: string; accountType: string }[];
  disabledUsers: { email: string }[];
  invitedUsers: { email: string }[];
}

describe.each(['sqlite', 'postgres'] as const)('invitations on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('five pending invitations cost one listing per interval', async () => {
    const intervalMs = 200;
    tb = await startTestBridge({ store: kind, types: ['paradime'], engine: { invitationRecheckMs: intervalMs } });
    const sim = tb.sims.get('paradime')!;
    const targetCalls = async (): Promise<number> => (await simRequests(sim)).length;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createScimUser(tb, 'paradime', okta.createUser(person(`invitee${i}`))));
    for (const id of ids) await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'invited', 'invited');
    // From here on, every call to the target is a check of the pending invitations: count the
    // calls each timed check makes (checks never overlap), whatever the time between them.
    const perCheck: number[] = [];
    const check = InvitationWatcher.prototype.check;
    const spy = vi.spyOn(InvitationWatcher.prototype, 'check').mockImplementation(async function (this: InvitationWatcher) {
      const before = await targetCalls();
      try {
        return await check.call(this);
      } finally {
        perCheck.push((await targetCalls()) - before);
      }
    });
    try {
      await eventually(async () => perCheck.length >= 3, { timeoutMs: 20_000, what: 'three checks of the pending invitations' });
    } finally {
      spy.mockRestore();
    }
    await tb.bridge.engine.stop();
    // What one listing of the target costs, with nothing else running.
    const before = await targetCalls();
    for await (const account of tb.bridge.engine.connection('paradime')!.connector.listAccounts()) void account;
    const oneListing = (await targetCalls()) - before;
    expect(oneListing).toBeGreaterThan(0);
    expect(perCheck.slice(0, 3)).toEqual([oneListing, oneListing, oneListing]);
    expect((await simState<ParadimeState>(sim)).invitedUsers).toHaveLength(5);
  });

  it('links an accepted invitation from the shared listing', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], engine: { invitationRecheckMs: 200 } });
    const sim = tb.sims.get('paradime')!;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await createScimUser(tb, 'paradime', okta.createUser(person(`joiner${i}`))));
    for (const id of ids) await waitForSync(tb, 'paradime', id, (s) => s.accountStatus === 'invited', 'invited');
    await simControl(sim, '/accept', { email: 'joiner1@example.com' });
    await waitForSync(tb, 'paradime', ids[1]!, (s) => s.state === 'synced' && s.accountStatus === 'active' && typeof s.targetId === 'string', 'linked');
    for (const id of [ids[0]!, ids[2]!]) expect((await tb.store.getSyncStates('paradime', [id]))[0]?.accountStatus).toBe('invited');
  });

  it('a removal waiting on an invitation is applied within seconds of the sign-up, not at the next interval', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], engine: { invitationRecheckMs: 60_000, invitationFirstCheckMs: 100 } });
    const sim = tb.sims.get('paradime')!;
    const id = await createScimUser(tb, 'paradime', okta.createUser(person('leaver')));
    await waitForSync(tb, 'paradime', id, (s) => s.accountStatus === 'invited', 'invited');
    await tb.scim('paradime').patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'pending' && s.accountStatus === 'invited', 'waiting for the invitation');
    await simControl(sim, '/accept', { email: 'leaver@example.com' });
    await eventually(async () => (await simState<ParadimeState>(sim)).disabledUsers.some((u) => u.email === 'leaver@example.com'), {
      timeoutMs: 10_000,
      what: 'disabled soon after the sign-up',
    });
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'disabled', 'disabled');
  });

  it('a role change waiting on an invitation is applied within seconds of the sign-up', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], engine: { invitationRecheckMs: 60_000, invitationFirstCheckMs: 100 } });
    const sim = tb.sims.get('paradime')!;
    const scim = tb.scim('paradime');
    const id = await createScimUser(tb, 'paradime', okta.createUser(person('promoted')));
    await waitForSync(tb, 'paradime', id, (s) => s.accountStatus === 'invited', 'invited');
    const group = (await scim.post('/Groups', okta.createGroup('Paradime Admins')).expect(201)).body as { id: string };
    await scim.patch(`/Groups/${group.id}`, okta.changeMembers([], [{ value: id, display: 'promoted@example.com' }])).expect(204);
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'pending', 'waiting for the invitation');
    await simControl(sim, '/accept', { email: 'promoted@example.com' });
    await eventually(
      async () => (await simState<ParadimeState>(sim)).activeUsers.some((u) => u.email === 'promoted@example.com' && u.accountType === 'ADMIN'),
      { timeoutMs: 10_000, what: 'promoted soon after the sign-up' },
    );
  });
});
