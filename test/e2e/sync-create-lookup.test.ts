import { afterEach, describe, expect, it } from 'vitest';
import { simControl, simRequests } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { simState, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import type { RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { createScimUser, person, waitForSync } from './sync-helpers.js';

/**
 * Create-or-adopt on a target that gives no signal for a taken email (Paradime documents no error
 * codes): the bridge looks the email up before it invites, so an invitation already out there (sent
 * by a run whose answer was lost, by a person deleted and provisioned again, or by hand) is adopted,
 * never sent twice. `allowDuplicateEmails` makes the simulator behave so: a second invite goes out.
 */

interface ParadimeState {
  activeUsers: { email: string }[];
  invitedUsers: { email: string }[];
}

/** How many inviteUser mutations the simulator answered (its log names each GraphQL operation). */
const invites = async (sim: RunningSimulator): Promise<number> => (await simRequests(sim)).filter((r) => /\binviteUser\b/.test(r.operation ?? '')).length;

describe.each(['sqlite', 'postgres'] as const)('create on a target without a duplicate signal, on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('adopts the invitation already sent instead of inviting again', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { allowDuplicateEmails: true } });
    const sim = tb.sims.get('paradime')!;
    await simControl(sim, '/seed', { users: [{ email: 'again@example.com', status: 'invited', accountType: 'DEVELOPER' }] });
    await simControl(sim, '/requests', undefined, 'DELETE');
    const id = await createScimUser(tb, 'paradime', okta.createUser(person('again')));
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'invited', 'adopted');
    expect(await invites(sim)).toBe(0);
    expect((await simState<ParadimeState>(sim)).invitedUsers.filter((u) => u.email === 'again@example.com')).toHaveLength(1);
  });

  it('adopts an active user with the email instead of inviting them', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { allowDuplicateEmails: true } });
    const sim = tb.sims.get('paradime')!;
    await simControl(sim, '/seed', { users: [{ email: 'member@example.com', status: 'active', accountType: 'DEVELOPER' }] });
    const id = await createScimUser(tb, 'paradime', okta.createUser(person('member')));
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'active', 'adopted');
    expect(await invites(sim)).toBe(0);
    const state = await simState<ParadimeState>(sim);
    expect(state.invitedUsers.filter((u) => u.email === 'member@example.com')).toHaveLength(0);
    expect(state.activeUsers.filter((u) => u.email === 'member@example.com')).toHaveLength(1);
  });

  it('still invites a new person, once', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], simulator: { allowDuplicateEmails: true } });
    const sim = tb.sims.get('paradime')!;
    const id = await createScimUser(tb, 'paradime', okta.createUser(person('newcomer')));
    await waitForSync(tb, 'paradime', id, (s) => s.state === 'synced' && s.accountStatus === 'invited', 'invited');
    expect(await invites(sim)).toBe(1);
    expect((await simState<ParadimeState>(sim)).invitedUsers.filter((u) => u.email === 'newcomer@example.com')).toHaveLength(1);
  });
});
