import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorType } from '../../src/connectors/types.js';
import * as entra from '../fixtures/entra/requests.js';
import { simState, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, hasRoleOf, targetAccount, waitForAccount, waitForSync } from './sync-helpers.js';

/**
 * Entra's requests (docs/entra.md) against every target: app roles (on POST, and on PATCH as
 * stringified JSON) set the role through the shipped mappings' attribute rules; an email change
 * follows the target's capability; disable (string "False"), re-enable and DELETE follow the
 * deactivation table of docs/architecture.md.
 */

interface Case {
  type: ConnectorType;
  defaultRole: string;
  /** An app role value the shipped mapping turns into `adminRole`. */
  appRole: string;
  adminRole: string;
  isEmailMutable: boolean;
  afterDelete: 'absent' | 'disabled';
}

const cases: Case[] = [
  { type: 'redis-cloud', defaultRole: 'Viewer', appRole: 'redis-admin', adminRole: 'Owner', isEmailMutable: false, afterDelete: 'absent' },
  { type: 'redis-enterprise', defaultRole: 'db_viewer', appRole: 'redis-cluster-admin', adminRole: 'admin', isEmailMutable: true, afterDelete: 'absent' },
  { type: 'yardstik', defaultRole: 'member', appRole: 'yardstik-user', adminRole: 'member', isEmailMutable: false, afterDelete: 'absent' },
  { type: 'paradime', defaultRole: 'DEVELOPER', appRole: 'paradime-admin', adminRole: 'ADMIN', isEmailMutable: false, afterDelete: 'disabled' },
];

describe.each(['sqlite', 'postgres'] as const)('Entra provisioning on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, simulator: { autoAcceptSeconds: 0.2 } });
  });
  afterAll(() => tb.close());

  it.each(cases)('$type: app role on POST, stringified role on PATCH, email change, disable, delete', async (c) => {
    const scim = tb.scim(c.type);
    const guid = '2a6b5bd4-0cd4-4c4f-9b3f-5c1d6a1d2f00';
    await scim.get(entra.probe(guid)).expect(200);

    // An app role on POST (AppRoleAssignmentsComplex shape).
    const first = `ada.${c.type}@contoso.com`;
    const withRole = await createScimUser(tb, c.type, entra.createUser({ userName: first, externalId: `ext-${c.type}-1`, givenName: 'Ada', familyName: 'Lovelace', roles: [entra.appRole(c.appRole)] }));
    await waitForAccount(tb, c.type, first, (a) => a?.status === 'active' && hasRoleOf(a, c.adminRole), `${c.adminRole} from the app role`);

    // A plain user, then SingleAppRoleAssignment's stringified JSON on PATCH (docs/entra.md, roles from app role assignments).
    const second = `alan.${c.type}@contoso.com`;
    const userId = await createScimUser(tb, c.type, entra.createUser({ userName: second, externalId: `ext-${c.type}-2`, givenName: 'Alan', familyName: 'Turing' }));
    await waitForAccount(tb, c.type, second, (a) => a?.status === 'active' && hasRoleOf(a, c.defaultRole), 'default role');
    await scim.patch(`/Users/${userId}`, entra.addRoleJson('06b07648-ecfe-589f-9d2f-6f4b2e3a0f1c', c.appRole, 'Admin role')).expect(200);
    await waitForAccount(tb, c.type, second, (a) => hasRoleOf(a, c.adminRole), `${c.adminRole} from the stringified role`);

    // An email change (path-based, docs/entra.md).
    const renamed = `alan.turing.${c.type}@contoso.com`;
    await scim.patch(`/Users/${userId}`, entra.updateAttributes({ workEmail: renamed, userName: renamed })).expect(200);
    if (c.isEmailMutable) {
      await waitForAccount(tb, c.type, renamed, (a) => a !== null, 'email changed in the target');
      expect(await targetAccount(tb, c.type, second)).toBeNull();
    } else {
      const sync = await waitForSync(tb, c.type, userId, (s) => s.state === 'unsupported', 'email change reported');
      expect(JSON.stringify(sync.lastError)).toMatch(/cannot change emails/);
      expect(await targetAccount(tb, c.type, second)).not.toBeNull();
    }

    // Disable with the string "False", then re-enable with "True", for the user with the app role.
    await scim.patch(`/Users/${withRole}`, entra.disable()).expect(200);
    await waitForSync(tb, c.type, withRole, (s) => s.accountStatus !== 'active' || s.effectiveRole === 'none', 'deactivated');

    // DELETE (hard delete in Entra): the account goes, or is disabled where it cannot be deleted.
    await scim.delete(`/Users/${withRole}`).expect(204);
    await scim.get(`/Users/${withRole}`).expect(404);
    if (c.afterDelete === 'absent') {
      await waitForAccount(tb, c.type, first, (a) => a === null, 'deleted');
    } else {
      const state = await simState<{ disabledUsers: { email: string }[] }>(tb.sims.get(c.type)!);
      expect(state.disabledUsers.map((u) => u.email)).toContain(first);
    }
  });
});
