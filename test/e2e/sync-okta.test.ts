import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorType } from '../../src/connectors/types.js';
import * as okta from '../fixtures/okta/requests.js';
import { simState, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, hasRoleOf, waitForAccount, waitForSync } from './sync-helpers.js';

/**
 * Okta's lifecycle (docs/okta.md) against every target through the shipped default mappings:
 * create → default role; Group Push → the group's role; removal from the group → back;
 * deactivate and reactivate as the table in docs/architecture.md says, on SQLite and PostgreSQL.
 */

interface Case {
  type: ConnectorType;
  defaultRole: string;
  group: string;
  /** The role the group gives, or null when the group means "no account". */
  groupRole: string | null;
  deactivated: 'absent' | 'disabled' | { role: string };
  canReactivate: boolean;
}

const cases: Case[] = [
  { type: 'redis-cloud', defaultRole: 'Viewer', group: 'Redis Owners', groupRole: 'Owner', deactivated: 'absent', canReactivate: true },
  { type: 'redis-enterprise', defaultRole: 'db_viewer', group: 'Redis Admins', groupRole: 'admin', deactivated: { role: 'none' }, canReactivate: true },
  { type: 'yardstik', defaultRole: 'member', group: 'Contractors', groupRole: null, deactivated: 'absent', canReactivate: true },
  { type: 'paradime', defaultRole: 'DEVELOPER', group: 'Paradime Admins', groupRole: 'ADMIN', deactivated: 'disabled', canReactivate: false },
];

describe.each(['sqlite', 'postgres'] as const)('Okta lifecycle on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, simulator: { autoAcceptSeconds: 0.2 } });
  });
  afterAll(() => tb.close());

  it.each(cases)('$type: create, group push, deactivate, reactivate', async (c) => {
    const scim = tb.scim(c.type);
    const person = { userName: `grace.${c.type}@example.com`, givenName: 'Grace', familyName: 'Hopper', oktaId: `00u${c.type.length}okta` };
    const email = person.userName;

    const probe = await scim.get(okta.probe(email)).expect(200);
    expect(probe.body).toMatchObject({ totalResults: 0, Resources: [] });
    const userId = await createScimUser(tb, c.type, okta.createUser(person));
    await waitForAccount(tb, c.type, email, (a) => a?.status === 'active' && hasRoleOf(a, c.defaultRole), `account with ${c.defaultRole}`);
    await waitForSync(tb, c.type, userId, (s) => s.state === 'synced' && s.accountStatus === 'active', 'synced and active');

    const group = await scim.post('/Groups', okta.createGroup(c.group)).expect(201);
    const groupId = (group.body as { id: string }).id;
    await scim.patch(`/Groups/${groupId}`, okta.renameGroup(groupId, c.group)).expect(204);
    await scim.patch(`/Groups/${groupId}`, okta.changeMembers([], [{ value: userId, display: email }])).expect(204);
    if (c.groupRole) await waitForAccount(tb, c.type, email, (a) => hasRoleOf(a, c.groupRole as string), `role ${c.groupRole}`);
    else await waitForAccount(tb, c.type, email, (a) => a === null, 'no account for the group');

    await scim.patch(`/Groups/${groupId}`, okta.changeMembers([userId], [])).expect(204);
    await waitForAccount(tb, c.type, email, (a) => a?.status === 'active' && hasRoleOf(a, c.defaultRole), `back to ${c.defaultRole}`);

    await scim.patch(`/Users/${userId}`, okta.setActive(false)).expect(200);
    if (c.deactivated === 'absent') {
      await waitForAccount(tb, c.type, email, (a) => a === null, 'account deleted');
    } else if (c.deactivated === 'disabled') {
      await waitForSync(tb, c.type, userId, (s) => s.accountStatus === 'disabled', 'disabled');
      const state = await simState<{ disabledUsers: { email: string }[] }>(tb.sims.get(c.type)!);
      expect(state.disabledUsers.map((u) => u.email)).toContain(email);
    } else {
      await waitForAccount(tb, c.type, email, (a) => hasRoleOf(a, (c.deactivated as { role: string }).role), 'no-access role');
    }

    await scim.patch(`/Users/${userId}`, okta.setActive(true)).expect(200);
    if (c.canReactivate) {
      await waitForAccount(tb, c.type, email, (a) => a !== null && hasRoleOf(a, c.defaultRole), 'reactivated');
      await waitForSync(tb, c.type, userId, (s) => s.state === 'synced', 'synced again');
    } else {
      const sync = await waitForSync(tb, c.type, userId, (s) => s.state === 'unsupported', 'unsupported re-enable');
      expect(JSON.stringify(sync.lastError)).toMatch(/re-enable/);
    }
  });
});
