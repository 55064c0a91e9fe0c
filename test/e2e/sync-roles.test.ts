import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimRequestRecord } from '../../src/connectors/simulator-kit.js';
import { redisEnterpriseDefaultCredentials } from '../../src/connectors/redis-enterprise/simulator.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import * as entra from '../fixtures/entra/requests.js';
import * as okta from '../fixtures/okta/requests.js';
import { simState, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, hasRoleOf, person, waitForAccount, waitForSync } from './sync-helpers.js';

/**
 * Roles the IdP can see and assign: each connection whose target has roles publishes them at
 * /Roles (Okta's entitlement discovery: /ResourceTypes, then /Roles page by page), and a mapping
 * rule `assigned: roles` gives the role the IdP assigned, in its place among the rules.
 */

interface Case {
  type: Exclude<ConnectorType, 'yardstik'>;
  /** A role of the target to assign, as /Roles lists it. */
  assigned: string;
  /** What the group rule gives (below the assigned rule), and the default. */
  groupRole: string;
  defaultRole: string;
  group: string;
  /** A role above `assigned` in the target's order, when there is one (the primary one must still win). */
  higher?: string;
}

const cases: Case[] = [
  { type: 'redis-cloud', assigned: 'Manager', groupRole: 'Owner', defaultRole: 'Viewer', group: 'Redis Owners', higher: 'Owner' },
  { type: 'redis-enterprise', assigned: 'role_uids:[4]', groupRole: 'admin', defaultRole: 'db_viewer', group: 'Redis Admins', higher: 'role_uids:[1]' },
  { type: 'paradime', assigned: 'ADMIN', groupRole: 'BUSINESS', defaultRole: 'DEVELOPER', group: 'Paradime Business' },
];

const mappingOf = (c: Case): string => `
type: ${c.type}
roles:
  default: ${c.defaultRole}
  rules:
    - assigned: roles
    - group: ${c.group}
      role: ${c.groupRole}
`;

const mappings = Object.fromEntries(cases.map((c) => [c.type, mappingOf(c)]));

async function simRequests(tb: TestBridge, type: ConnectorType): Promise<SimRequestRecord[]> {
  const sim = tb.sims.get(type);
  if (!sim) throw new Error(`no simulator for ${type}`);
  return (await (await fetch(`${sim.url}/_sim/requests`)).json()) as SimRequestRecord[];
}

/** The Okta discovery sequence: /ResourceTypes, then the Role endpoint with count=1 until every role is read. */
async function discoverRoles(tb: TestBridge, type: ConnectorType): Promise<Record<string, unknown>[]> {
  const scim = tb.scim(type);
  const types = (await scim.get(okta.resourceTypes).expect(200)).body as { Resources: { id: string; endpoint: string; schema: string; name: string }[] };
  const roleType = types.Resources.find((t) => t.schema === okta.ROLE_URN);
  expect(roleType).toMatchObject({ id: 'Role', name: 'Role', endpoint: '/Roles' });
  const roles: Record<string, unknown>[] = [];
  for (let startIndex = 1; ; startIndex++) {
    const page = (await scim.get(okta.rolesPage(roleType?.endpoint ?? '', startIndex)).expect(200).expect('content-type', /scim\+json/)).body as {
      totalResults: number; startIndex: number; itemsPerPage: number; Resources: Record<string, unknown>[];
    };
    expect(page.startIndex).toBe(startIndex);
    if (startIndex > page.totalResults) {
      expect(page).toMatchObject({ itemsPerPage: 0, Resources: [] });
      break;
    }
    expect(page.itemsPerPage).toBe(1);
    expect(page.Resources).toHaveLength(1);
    roles.push(page.Resources[0] as Record<string, unknown>);
  }
  return roles;
}

describe.each(['sqlite', 'postgres'] as const)('roles published and assigned, on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, mappings, simulator: { autoAcceptSeconds: 0.2 } });
  });
  afterAll(() => tb.close());

  it.each(cases)("$type: Okta's discovery finds every role, read-only, served from the cache", async (c) => {
    const scim = tb.scim(c.type);
    const roles = await discoverRoles(tb, c.type);
    const all = (await scim.get('/Roles').expect(200)).body as { totalResults: number; itemsPerPage: number; Resources: Record<string, unknown>[] };
    expect(roles).toEqual(all.Resources);
    expect(all.totalResults).toBe(roles.length);
    expect(roles.map((r) => r.id)).toContain(c.assigned);
    for (const role of roles) {
      expect(role.schemas).toEqual([okta.ROLE_URN]);
      expect(typeof role.displayName).toBe('string');
      expect(role.meta).toMatchObject({ resourceType: 'Role' });
    }

    const one = roles.find((r) => r.id === c.assigned) as { id: string; displayName: string; meta: { location: string } };
    expect((await scim.get(`/Roles/${encodeURIComponent(one.id)}`).expect(200)).body).toEqual(one);
    expect(one.meta.location).toMatch(new RegExp(`/scim/v2/${c.type}/Roles/`));
    const filtered = (await scim.get(`/Roles?filter=${encodeURIComponent(`displayName eq "${one.displayName}"`)}`).expect(200)).body as { Resources: { id: string }[] };
    expect(filtered.Resources.map((r) => r.id)).toContain(one.id);
    await scim.get('/Roles/no-such-role').expect(404);

    // The Role schema is described, and the roles cannot be written.
    const schemas = (await scim.get('/Schemas').expect(200)).body as { Resources: { id: string }[] };
    expect(schemas.Resources.map((s) => s.id)).toContain(okta.ROLE_URN);
    for (const write of [scim.post('/Roles', { displayName: 'Mine' }), scim.put(`/Roles/${encodeURIComponent(one.id)}`, {}), scim.patch(`/Roles/${encodeURIComponent(one.id)}`, {}), scim.delete(`/Roles/${encodeURIComponent(one.id)}`)]) {
      const response = await write.expect(405).expect('allow', 'GET');
      expect(response.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '405' });
    }

    // Served from the cache: more /Roles requests ask the target nothing.
    const before = (await simRequests(tb, c.type)).length;
    for (let i = 0; i < 5; i++) await scim.get('/Roles?count=1').expect(200);
    expect((await simRequests(tb, c.type)).length).toBe(before);
  });

  it('yardstik: no roles to publish, so no Role resource type and no /Roles', async () => {
    const scim = tb.scim('yardstik');
    const types = (await scim.get('/ResourceTypes').expect(200)).body as { Resources: { id: string }[] };
    expect(types.Resources.map((t) => t.id)).toEqual(['User', 'Group']);
    const schemas = (await scim.get('/Schemas').expect(200)).body as { Resources: { id: string }[] };
    expect(schemas.Resources.map((s) => s.id)).not.toContain(okta.ROLE_URN);
    await scim.get('/Roles').expect(404);
  });

  it.each(cases)('$type: a role assigned in Okta ends in the target; losing it falls back to the group rule, then the default', async (c) => {
    const scim = tb.scim(c.type);
    const who = person(`okta-${c.type}-${kind}`);
    const id = await createScimUser(tb, c.type, okta.createUserWithRoles(who, [{ value: c.assigned, display: c.assigned }]));
    await waitForAccount(tb, c.type, who.userName, (a) => a?.status === 'active' && hasRoleOf(a, c.assigned), `${c.assigned} assigned in Okta`);

    // In the group too: the assigned rule sits above the group rule, so the assigned role still wins.
    const group = (await scim.post('/Groups', okta.createGroup(c.group)).expect(201)).body as { id: string };
    await scim.patch(`/Groups/${group.id}`, okta.changeMembers([], [{ value: id, display: who.userName }])).expect((r) => expect([200, 204]).toContain(r.status));
    await waitForSync(tb, c.type, id, (s) => s.state === 'synced', 'synced after the group push');
    await waitForAccount(tb, c.type, who.userName, (a) => hasRoleOf(a, c.assigned), 'assigned role kept');

    await scim.patch(`/Users/${id}`, okta.removeRole(c.assigned)).expect(200);
    await waitForAccount(tb, c.type, who.userName, (a) => hasRoleOf(a, c.groupRole), `${c.groupRole} from the group once the role is gone`);
    await scim.patch(`/Groups/${group.id}`, okta.changeMembers([id], [])).expect((r) => expect([200, 204]).toContain(r.status));
    await waitForAccount(tb, c.type, who.userName, (a) => hasRoleOf(a, c.defaultRole), `${c.defaultRole} by default`);
    await scim.delete(`/Groups/${group.id}`).expect(204);
  });

  it.each(cases)('$type: an Entra app role (stringified on PATCH) ends in the target; removing it gives the default', async (c) => {
    const scim = tb.scim(c.type);
    const userName = `grace.${c.type}.${kind}@contoso.com`;
    const id = await createScimUser(tb, c.type, entra.createUser({ userName, externalId: `ext-roles-${c.type}`, givenName: 'Grace', familyName: 'Hopper' }));
    await waitForAccount(tb, c.type, userName, (a) => a?.status === 'active' && hasRoleOf(a, c.defaultRole), 'default role first');
    await scim.patch(`/Users/${id}`, entra.addRoleJson('7c1e2b9a-4f0d-4a8e-9a53-1b2c3d4e5f60', c.assigned, `App role ${c.assigned}`)).expect(200);
    await waitForAccount(tb, c.type, userName, (a) => hasRoleOf(a, c.assigned), `${c.assigned} from the stringified app role`);
    await scim.patch(`/Users/${id}`, entra.removeRoles()).expect(200);
    await waitForAccount(tb, c.type, userName, (a) => hasRoleOf(a, c.defaultRole), 'default once the app role is removed');

    // On create, AppRoleAssignmentsComplex sends several roles with "primary" as a string: the primary one counts.
    const second = `katherine.${c.type}.${kind}@contoso.com`;
    const roles = [entra.complexRole(c.higher ?? c.defaultRole), { ...entra.complexRole(c.assigned), primary: 'True' }];
    await createScimUser(tb, c.type, entra.createUser({ userName: second, externalId: `ext-roles2-${c.type}`, givenName: 'Katherine', familyName: 'Johnson', roles }));
    await waitForAccount(tb, c.type, second, (a) => a?.status === 'active' && hasRoleOf(a, c.assigned), `${c.assigned}, the primary app role`);
  });

  it.each(cases)('$type: an assigned value the target has no role for is ignored, with a warning, and never sent', async (c) => {
    const who = person(`unknown-${c.type}-${kind}`);
    const id = await createScimUser(tb, c.type, okta.createUserWithRoles(who, [{ value: 'Astronaut', display: 'Astronaut' }]));
    const sync = await waitForSync(tb, c.type, id, (s) => s.state === 'synced', 'synced with the default');
    expect(sync.warnings).toEqual(['roles: "Astronaut" is not a role of this target (see /Roles); ignored']);
    await waitForAccount(tb, c.type, who.userName, (a) => hasRoleOf(a, c.defaultRole), 'default role');
    expect(JSON.stringify(await simState(tb.sims.get(c.type)!))).not.toContain('Astronaut');
    expect(tb.logs.some((line) => line.includes('assigned values ignored') && line.includes(id))).toBe(true);
  });

  it('redis-enterprise: a custom role created in the cluster appears in /Roles after a reconcile pass and can be assigned', async () => {
    const sim = tb.sims.get('redis-enterprise')!;
    const known = (await discoverRoles(tb, 'redis-enterprise')).map((r) => r.displayName);
    expect(known).not.toContain(`Analytics ${kind}`);
    // The cluster's own POST /v1/roles, as its admin would create a custom role.
    const { username, password } = redisEnterpriseDefaultCredentials;
    const response = await fetch(`${sim.targetUrl}/v1/roles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
      body: JSON.stringify({ name: `Analytics ${kind}`, management: 'db_member' }),
    });
    expect(response.status).toBe(200);
    const created = { roles: [(await response.json()) as { uid: number }] };
    const roleId = `role_uids:[${created.roles[0]?.uid}]`;
    const scim = tb.scim('redis-enterprise');
    await tb.bridge.reconciler.runNow(['redis-enterprise']);
    const roles = await discoverRoles(tb, 'redis-enterprise');
    expect(roles.find((r) => r.id === roleId)).toMatchObject({ displayName: `Analytics ${kind}`, description: 'management role db_member' });

    const who = person(`custom-role-${kind}`);
    const id = await createScimUser(tb, 'redis-enterprise', okta.createUserWithRoles(who, [{ value: roleId, display: `Analytics ${kind}` }]));
    await waitForAccount(tb, 'redis-enterprise', who.userName, (a) => hasRoleOf(a, roleId), 'the custom role');
    const sync = await waitForSync(tb, 'redis-enterprise', id, (s) => s.state === 'synced', 'synced');
    expect(sync.warnings).toBeUndefined();
    await scim.get(`/Roles/${encodeURIComponent(roleId)}`).expect(200);
  });
});
