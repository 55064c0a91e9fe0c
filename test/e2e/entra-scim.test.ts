import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as entra from '../fixtures/entra/requests.js';
import { startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { EMPTY_LIST, GROUP_SCHEMA, USER_SCHEMA, expectError, expectList, expectResource, type Resource } from './scim-assert.js';

/**
 * Microsoft Entra ID's SCIM requests (docs/entra.md, "What Entra sends"), replayed request by request: the
 * default non-compliant shapes and the `aadOptscim062020` ones, with the responses Entra needs.
 */

type Enterprise = { department?: string; employeeNumber?: string; manager?: { value: string } };

describe.each(['sqlite', 'postgres'] as const)('Entra SCIM sequences on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  let base: string;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    scim = tb.scim('redis-enterprise');
    base = `${tb.bridge.url}/scim/v2/redis-enterprise`;
  });
  afterAll(() => tb.close());

  const person = (name: string, extra: Partial<Parameters<typeof entra.createUser>[0]> = {}) => ({
    userName: `${name}@contoso.com`, externalId: `ext-${name}`, givenName: 'Test', familyName: name, department: 'R&D', ...extra,
  });
  const create = async (body: Record<string, unknown>): Promise<Resource> => expectResource(await scim.post('/Users', body), 201, `${base}/Users`);
  const patchUser = async (id: string, body: Record<string, unknown>): Promise<Resource> => expectResource(await scim.patch(`/Users/${id}`, body), 200, `${base}/Users`);
  const enterpriseOf = (user: Resource): Enterprise => user[entra.ENTERPRISE] as Enterprise;

  it('Test Connection: a random GUID on the matching attribute answers 200 with an empty ListResponse', async () => {
    const guid = randomUUID();
    for (const path of [entra.probe(guid), entra.matchExternalId(guid), entra.matchWorkEmail(`${guid}@contoso.com`)]) {
      const res = await scim.get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.body).toEqual(EMPTY_LIST);
    }
    expect((await scim.get(`/Groups?filter=${encodeURIComponent(`displayName eq "${guid}"`)}`)).body).toEqual(EMPTY_LIST);
    expectError(await scim.get(`/Users/${guid}`), 404);
  });

  it('create with the enterprise extension, explicit nulls and the misspelled "…:2.0User" schema: 201 with id', async () => {
    for (const misspelled of [false, true]) {
      const p = person(`create${String(misspelled)}`, { misspelled });
      const user = await create(entra.createUser(p));
      expect(user.schemas).toEqual(expect.arrayContaining([USER_SCHEMA, entra.ENTERPRISE]));
      expect(user.schemas).not.toContain(entra.MISSPELLED_ENTERPRISE);
      expect(user).toMatchObject({ userName: p.userName, externalId: p.externalId, active: true, name: { formatted: `Test ${p.familyName}`, familyName: p.familyName, givenName: 'Test' } });
      expect(enterpriseOf(user)).toEqual({ department: 'R&D', employeeNumber: '1001' });
      // Nulls and `roles: []` are unassigned (RFC 7643 §2.5): omitted.
      for (const unset of ['addresses', 'phoneNumbers', 'title', 'roles']) expect(user).not.toHaveProperty(unset);
    }
    const noDepartment = await create(entra.createUser({ ...person('nulldept'), department: undefined }));
    expect(enterpriseOf(noDepartment)).toEqual({ employeeNumber: '1001' });
  });

  it('match by userName, by emails[type eq "work"].value and by unquoted externalId eq x', async () => {
    const p = person('match.me');
    const user = await create(entra.createUser(p));
    for (const path of [entra.matchUserName(p.userName), entra.matchUserName(p.userName.toUpperCase()), entra.matchWorkEmail(p.userName), entra.matchExternalId(p.externalId)]) {
      const list = expectList(await scim.get(path));
      expect(list.totalResults, path).toBe(1);
      expect(list.Resources[0]).toMatchObject({ id: user.id, userName: p.userName, meta: { location: `${base}/Users/${user.id}` } });
    }
    // externalId is case-exact (RFC 7643 §3.1): another case is another id.
    expect(expectList(await scim.get(entra.matchExternalId(p.externalId.toUpperCase()))).totalResults).toBe(0);
  });

  it('a numeric-looking unquoted externalId matches as written (leading zeros kept)', async () => {
    const user = await create(entra.createUser(person('numeric', { externalId: '000123' })));
    const list = expectList(await scim.get(entra.matchExternalId('000123')));
    expect(list.Resources.map((r) => r.id)).toEqual([user.id]);
    expect(expectList(await scim.get(entra.matchExternalId('123'))).totalResults).toBe(0);
    const long = await create(entra.createUser(person('long.numeric', { externalId: '12345678901234567891' })));
    expect(expectList(await scim.get(entra.matchExternalId('12345678901234567891'))).Resources.map((r) => r.id)).toEqual([long.id]);
  });

  it('disable and enable with capitalised ops and string booleans "False"/"True"; the compliant form too', async () => {
    const user = await create(entra.createUser(person('toggle')));
    expect((await patchUser(user.id, entra.disable())).active).toBe(false);
    expect((await patchUser(user.id, entra.enable())).active).toBe(true);
    expect((await patchUser(user.id, entra.disableCompliant())).active).toBe(false);
    expect((await scim.get(`/Users/${user.id}`)).body).toMatchObject({ active: false });
  });

  it('path updates: work email, familyName, userName; a work email on a user that has none is added', async () => {
    const p = person('paths');
    const user = await create(entra.createUser(p));
    const updated = await patchUser(user.id, entra.updateAttributes({ workEmail: 'new.paths@contoso.com', familyName: 'Pathson', userName: 'renamed.paths@contoso.com' }));
    expect(updated).toMatchObject({ userName: 'renamed.paths@contoso.com', name: { familyName: 'Pathson', givenName: 'Test' }, emails: [{ type: 'work', value: 'new.paths@contoso.com', primary: true }] });
    expect(expectList(await scim.get(entra.matchWorkEmail('new.paths@contoso.com'))).Resources.map((r) => r.id)).toEqual([user.id]);

    const { emails: _emails, ...bare } = entra.createUser(person('no.email'));
    const noEmail = await create(bare);
    expect(noEmail).not.toHaveProperty('emails');
    const withEmail = await patchUser(noEmail.id, entra.updateAttributes({ workEmail: 'added@contoso.com' }));
    expect(withEmail.emails).toEqual([{ type: 'work', value: 'added@contoso.com' }]);
    expect(expectList(await scim.get(entra.matchWorkEmail('added@contoso.com'))).Resources.map((r) => r.id)).toEqual([noEmail.id]);
  });

  it('other mapped paths: department (extension URN), phone numbers, addresses, emails[type eq "other"].Value', async () => {
    const user = await create(entra.createUser(person('mapped')));
    const updated = await patchUser(user.id, entra.replacePaths({
      [`${entra.ENTERPRISE}:department`]: 'Sales',
      [`${entra.ENTERPRISE}:employeeNumber`]: '42',
      'phoneNumbers[type eq "mobile"].value': '+1 555 0100',
      'phoneNumbers[type eq "work"].value': '+1 555 0101',
      'addresses[type eq "work"].streetAddress': '1 Main St',
      'addresses[type eq "work"].postalCode': '98052',
      'emails[type eq "other"].Value': 'other@contoso.com',
      title: 'Engineer',
      displayName: 'Mapped User',
    }));
    expect(enterpriseOf(updated)).toMatchObject({ department: 'Sales', employeeNumber: '42' });
    expect(updated.phoneNumbers).toEqual(expect.arrayContaining([{ type: 'mobile', value: '+1 555 0100' }, { type: 'work', value: '+1 555 0101' }]));
    expect(updated.addresses).toEqual([{ type: 'work', streetAddress: '1 Main St', postalCode: '98052' }]);
    expect(updated.emails).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'work', value: user.userName }), { type: 'other', value: 'other@contoso.com' }]));
    expect(updated).toMatchObject({ title: 'Engineer', displayName: 'Mapped User' });
  });

  it('aadOptscim062020: one path-less replace with dotted keys and an extension URN key', async () => {
    const user = await create(entra.createUser(person('flagged')));
    const updated = await patchUser(user.id, entra.replaceMany('Flagged Person', 'Flag', 'E-777'));
    expect(updated).toMatchObject({ displayName: 'Flagged Person', name: { givenName: 'Flag', familyName: 'flagged', formatted: 'Test flagged' } });
    expect(enterpriseOf(updated)).toMatchObject({ employeeNumber: 'E-777', department: 'R&D' });
    expect(Object.keys(updated)).not.toContain('name.givenName');
  });

  describe('custom extension attributes (a schema the bridge does not declare)', () => {
    // Entra sends an admin's custom attributes under their own extension URN (Microsoft Learn,
    // "Customize user provisioning attribute-mappings": a custom extension attribute to a SCIM app).
    const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
    const withCustom = (name: string): Record<string, unknown> => {
      const body = entra.createUser(person(name));
      return { ...body, schemas: [...(body.schemas as string[]), CUSTOM], [CUSTOM]: { CustomAttribute: 'blue' } };
    };
    const found = async (userName: string): Promise<number> =>
      (((await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body as { totalResults: number }).totalResults);

    it('POST: 400 invalidValue naming the extension, never a user stored without its attributes', async () => {
      const res = await scim.post('/Users', withCustom('custom1'));
      expectError(res, 400, 'invalidValue');
      expect((res.body as { detail: string }).detail).toContain(CUSTOM);
      expect((res.body as { detail: string }).detail).toMatch(/\/Schemas/);
      expect(await found('custom1@contoso.com')).toBe(0);
    });

    it('PUT: 400 invalidValue, and the stored user is unchanged', async () => {
      const user = await create(entra.createUser(person('custom2')));
      const res = await scim.put(`/Users/${user.id}`, { ...withCustom('custom2'), displayName: 'Changed' });
      expectError(res, 400, 'invalidValue');
      expect((res.body as { detail: string }).detail).toContain(CUSTOM);
      expect(((await scim.get(`/Users/${user.id}`)).body as Resource).displayName).toBeUndefined();
    });

    const patchOp = (operation: Record<string, unknown>): Record<string, unknown> => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [operation] });

    it('PATCH replace without a path: 400 invalidValue naming the extension, and nothing of the PATCH is stored', async () => {
      const user = await create(entra.createUser(person('custom4')));
      const res = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { displayName: 'Changed', [CUSTOM]: { CustomAttribute: 'blue' } } }));
      expectError(res, 400, 'invalidValue');
      expect((res.body as { detail: string }).detail).toContain(CUSTOM);
      const stored = (await scim.get(`/Users/${user.id}`)).body as Resource;
      expect(stored.displayName).toBeUndefined();
      expect(Object.keys(stored).map((k) => k.toLowerCase())).not.toContain(CUSTOM.toLowerCase());
    });

    it('PATCH add without a path, or with a path in the extension: 400 invalidValue, nothing stored', async () => {
      const user = await create(entra.createUser(person('custom5')));
      for (const operation of [
        { op: 'add', value: { [CUSTOM]: { CustomAttribute: 'blue' } } },
        { op: 'replace', path: `${CUSTOM}:CustomAttribute`, value: 'blue' },
        { op: 'add', path: CUSTOM, value: { CustomAttribute: 'blue' } },
      ]) {
        const res = await scim.patch(`/Users/${user.id}`, patchOp(operation));
        expectError(res, 400, 'invalidValue');
        expect((res.body as { detail: string }).detail, JSON.stringify(operation)).toContain(CUSTOM);
      }
      const stored = (await scim.get(`/Users/${user.id}`)).body as Resource;
      expect((stored.meta as { version: string }).version).toBe((user.meta as { version: string }).version);
      expect(Object.keys(stored).map((k) => k.toLowerCase())).not.toContain(CUSTOM.toLowerCase());
    });

    it('an undeclared URN listed in schemas alone carries nothing to lose: 201', async () => {
      const body = entra.createUser(person('custom3'));
      await create({ ...body, schemas: [...(body.schemas as string[]), CUSTOM] });
    });
  });

  it('manager: Add with a value array; Entra reads it back before the next update', async () => {
    const boss = await create(entra.createUser(person('boss')));
    const user = await create(entra.createUser(person('report')));
    await patchUser(user.id, entra.addManager(base, boss.id));
    expect(enterpriseOf((await scim.get(`/Users/${user.id}`)).body as Resource).manager).toMatchObject({ value: boss.id });
  });

  it('roles: created as WindowsAzureActiveDirectoryRole objects; Add with stringified JSON is stored as sent', async () => {
    const user = await create(entra.createUser(person('roles', { roles: [entra.complexRole('Admin'), entra.complexRole('Reader')] })));
    expect(user.roles).toEqual([
      { primary: false, type: 'WindowsAzureActiveDirectoryRole', display: 'Admin', value: 'Admin' },
      { primary: false, type: 'WindowsAzureActiveDirectoryRole', display: 'Reader', value: 'Reader' },
    ]);
    const single = await create(entra.createUser(person('role.single', { roles: [entra.appRole('Admin')] })));
    expect(single.roles).toEqual([{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }]);
    const stringified = JSON.stringify({ id: '06b07648-ecfe-589f-9d2f-6f7d3c5ba5f7', value: '25', displayName: 'Role1234' });
    const updated = await patchUser(single.id, entra.addRoleJson('06b07648-ecfe-589f-9d2f-6f7d3c5ba5f7', '25', 'Role1234'));
    expect(updated.roles).toEqual(expect.arrayContaining([{ value: stringified }]));
  });

  it('DELETE /Users/{id}: 204, then 404, and the user no longer matches', async () => {
    const p = person('leaver');
    const user = await create(entra.createUser(p));
    const res = await scim.delete(`/Users/${user.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectError(await scim.get(`/Users/${user.id}`), 404);
    expect((await scim.get(entra.matchUserName(p.userName))).body).toEqual(EMPTY_LIST);
    // The name is free again: Entra may provision the person anew.
    await create(entra.createUser(p));
  });

  describe('groups', () => {
    let groupId: string;
    let members: Resource[];
    const memberIds = async (): Promise<string[]> =>
      (((await scim.get(`/Groups/${groupId}`)).body as { members?: { value: string }[] }).members ?? []).map((m) => m.value).sort();

    beforeAll(async () => {
      members = await Promise.all(['m1', 'm2', 'm3'].map((n) => create(entra.createUser(person(`group.${n}`)))));
    });

    it('create with the ADSCIM schema and no members: 201', async () => {
      const group = expectResource(await scim.post('/Groups', entra.createGroup('Sales Team', 'ext-sales')), 201, `${base}/Groups`);
      expect(group).toMatchObject({ schemas: [GROUP_SCHEMA], displayName: 'Sales Team', externalId: 'ext-sales', meta: { resourceType: 'Group' } });
      groupId = group.id;
    });

    it('reads with excludedAttributes=members carry no members', async () => {
      await scim.patch(`/Groups/${groupId}`, entra.addMembers([members[0]!.id])).expect(204);
      const single = expectResource(await scim.get(entra.getGroupNoMembers(groupId)), 200, `${base}/Groups`);
      expect(single).not.toHaveProperty('members');
      expect(single).toMatchObject({ id: groupId, displayName: 'Sales Team' });
      const list = expectList(await scim.get(entra.findGroup('sales team')));
      expect(list.totalResults).toBe(1);
      expect(list.Resources[0]).not.toHaveProperty('members');
      expect(list.Resources[0]?.id).toBe(groupId);
    });

    it('rename: 204 with no body', async () => {
      const res = await scim.patch(`/Groups/${groupId}`, entra.renameGroup('Sales EMEA'));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await scim.get(entra.getGroupNoMembers(groupId))).body).toMatchObject({ displayName: 'Sales EMEA' });
    });

    it('members: Add as a value array, Remove as a value array and as a members[value eq] filter, all 204', async () => {
      const [m1, m2, m3] = members.map((m) => m.id) as [string, string, string];
      expect((await scim.patch(`/Groups/${groupId}`, entra.addMembers([m2, m3]))).status).toBe(204);
      expect(await memberIds()).toEqual([m1, m2, m3].sort());
      expect((await scim.patch(`/Groups/${groupId}`, entra.removeMembers([m1, m2]))).status).toBe(204);
      expect(await memberIds()).toEqual([m3]);
      expect((await scim.patch(`/Groups/${groupId}`, entra.removeMemberCompliant(m3))).status).toBe(204);
      expect(await memberIds()).toEqual([]);
      // Removing someone who is not a member is not an error (Entra retries).
      expect((await scim.patch(`/Groups/${groupId}`, entra.removeMembers([m1]))).status).toBe(204);
    });

    describe('an extension the bridge does not declare for Groups: 400 invalidValue naming it, as for Users', () => {
      const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:Group';
      const withCustom = (displayName: string): Record<string, unknown> => {
        const body = entra.createGroup(displayName, `ext-${displayName}`);
        return { ...body, schemas: [...(body.schemas as string[]), CUSTOM], [CUSTOM]: { colour: 'blue' } };
      };
      const detailOf = (res: { body: unknown }): string => (res.body as { detail: string }).detail;
      const patchOp = (operation: Record<string, unknown>): Record<string, unknown> => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [operation] });

      it('POST, with the URN in schemas or only as a key: 400, no group stored', async () => {
        for (const body of [withCustom('Custom One'), { ...entra.createGroup('Custom One', 'ext-c1'), [CUSTOM]: { colour: 'blue' } }]) {
          const res = await scim.post('/Groups', body);
          expectError(res, 400, 'invalidValue');
          expect(detailOf(res)).toContain(CUSTOM);
        }
        expect((await scim.get(entra.findGroup('Custom One'))).body).toEqual(EMPTY_LIST);
      });

      it('PUT and PATCH (path-less value keyed by the URN, a path in it, the URN as path): 400, the group unchanged', async () => {
        const group = expectResource(await scim.post('/Groups', entra.createGroup('Custom Two', 'ext-c2')), 201, `${base}/Groups`);
        const put = await scim.put(`/Groups/${group.id}`, { ...withCustom('Custom Renamed'), members: [{ value: members[0]!.id }] });
        expectError(put, 400, 'invalidValue');
        expect(detailOf(put)).toContain(CUSTOM);
        for (const operation of [
          { op: 'replace', value: { displayName: 'Custom Renamed', [CUSTOM]: { colour: 'blue' } } },
          { op: 'Add', value: { [CUSTOM]: { colour: 'blue' } } },
          { op: 'Replace', path: `${CUSTOM}:colour`, value: 'blue' },
          { op: 'add', path: CUSTOM, value: { colour: 'blue' } },
        ]) {
          const res = await scim.patch(`/Groups/${group.id}`, patchOp(operation));
          expectError(res, 400, 'invalidValue');
          expect(detailOf(res), JSON.stringify(operation)).toContain(CUSTOM);
        }
        const stored = (await scim.get(`/Groups/${group.id}`)).body as Resource;
        expect(stored).toMatchObject({ displayName: 'Custom Two', meta: { version: (group.meta as { version: string }).version } });
        expect(stored).not.toHaveProperty('members');
        expect(Object.keys(stored).map((k) => k.toLowerCase())).not.toContain(CUSTOM.toLowerCase());
      });

      it('an undeclared URN listed in schemas alone carries nothing to lose: 201, as for Users', async () => {
        const body = entra.createGroup('Custom Three', 'ext-c3');
        expectResource(await scim.post('/Groups', { ...body, schemas: [...(body.schemas as string[]), CUSTOM] }), 201, `${base}/Groups`);
      });
    });

    it('DELETE: 204, then 404', async () => {
      expect((await scim.delete(`/Groups/${groupId}`)).status).toBe(204);
      expectError(await scim.get(entra.getGroupNoMembers(groupId)), 404);
      expect((await scim.get(entra.findGroup('Sales EMEA'))).body).toEqual(EMPTY_LIST);
    });
  });
});
