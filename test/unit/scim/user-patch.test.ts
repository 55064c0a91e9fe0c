import { describe, expect, it } from 'vitest';
import { normalizePatchOperations } from '../../../src/scim/quirks.js';
import { applyUserPatch } from '../../../src/scim/user-patch.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const base = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@example.com', type: 'home', primary: true }],
  roles: [{ value: 'viewer' }],
};

const patch = (operations: unknown[]) => {
  const parsed = normalizePatchOperations({ Operations: operations });
  if (typeof parsed === 'string') throw new Error(parsed);
  return applyUserPatch('u1', base, parsed);
};

describe('user PATCH', () => {
  it("Okta: path-less replace of active (Okta SCIM 2.0 reference)", async () => {
    expect(await patch([{ op: 'replace', value: { active: false } }])).toMatchObject({ active: false });
  });

  it('Entra: Replace active with the string "False" (Microsoft Learn, SCIM endpoint tutorial)', async () => {
    expect(await patch([{ op: 'Replace', path: 'active', value: 'False' }])).toMatchObject({ active: false });
  });

  it('Entra with aadOptscim062020: one replace with dotted keys and an extension URN key (Microsoft Learn, SCIM known issues)', async () => {
    const result = await patch([{ op: 'replace', value: { displayName: 'Ada L', 'name.givenName': 'Augusta', [`${ENTERPRISE}:employeeNumber`]: '42' } }]);
    expect(result).toMatchObject({ displayName: 'Ada L', name: { givenName: 'Augusta', familyName: 'Lovelace' }, [ENTERPRISE]: { employeeNumber: '42' } });
  });

  it('Entra: Add manager with a value array (Microsoft Learn, SCIM endpoint tutorial)', async () => {
    expect(await patch([{ op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ $ref: 'http://x/Users/m1', value: 'm1' }] }])).toMatchObject({ [ENTERPRISE]: { manager: { value: 'm1' } } });
  });

  it('Entra: replace emails[type eq "work"].value creates the work email when none exists', async () => {
    const result = await patch([{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada@work.example' }]);
    expect(result?.emails).toEqual([{ value: 'ada@example.com', type: 'home', primary: true }, { type: 'work', value: 'ada@work.example' }]);
  });

  it('Entra: roles as stringified JSON are stored as sent (Microsoft Learn, provisioning a role to a SCIM app)', async () => {
    const value = '{"id":"06b0","value":"25","displayName":"Role1234"}';
    expect((await patch([{ op: 'Add', path: 'roles', value: [{ value }] }]))?.roles).toEqual([{ value: 'viewer' }, { value }]);
  });

  it('removes roles by filter and by value array', async () => {
    expect((await patch([{ op: 'remove', path: 'roles[value eq "viewer"]' }]))?.roles).toBeUndefined();
    expect((await patch([{ op: 'Remove', path: 'roles', value: [{ value: 'viewer' }] }]))?.roles).toBeUndefined();
  });

  const withExtension = { ...base, schemas: [...base.schemas, ENTERPRISE], [ENTERPRISE]: { department: 'R&D', manager: { value: 'm1', $ref: 'http://x/Users/m1' } } };
  const patchExtension = (operations: unknown[]) => {
    const parsed = normalizePatchOperations({ Operations: operations });
    if (typeof parsed === 'string') throw new Error(parsed);
    return applyUserPatch('u1', withExtension, parsed);
  };

  it('removes the whole enterprise extension, and its schema with it (RFC 7644 §3.5.2.2)', async () => {
    const result = await patchExtension([{ op: 'remove', path: ENTERPRISE }]);
    expect(result).not.toHaveProperty(ENTERPRISE);
    expect(result?.schemas).toEqual(base.schemas);
  });

  it('sets extension sub-attributes itself, with or without a current value; a new manager.value drops the old $ref', async () => {
    expect((await patch([{ op: 'add', path: `${ENTERPRISE}:manager.value`, value: 'm2' }]))?.[ENTERPRISE]).toEqual({ manager: { value: 'm2' } });
    expect((await patchExtension([{ op: 'replace', path: `${ENTERPRISE}:manager.value`, value: 'm2' }]))?.[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: 'm2' } });
    expect((await patchExtension([{ op: 'remove', path: `${ENTERPRISE}:manager.$ref` }]))?.[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: 'm1' } });
    expect((await patch([{ op: 'remove', path: `${ENTERPRISE}:manager.$ref` }]))).toBeNull();
  });

  it('keeps a string manager.$ref and drops a stray schemas key in an extension value', async () => {
    const result = await patch([{ op: 'replace', value: { [ENTERPRISE]: { schemas: [ENTERPRISE], manager: { value: 'm3', $ref: 'http://x/Users/m3' } } } }]);
    expect(result?.[ENTERPRISE]).toEqual({ manager: { value: 'm3', $ref: 'http://x/Users/m3' } });
  });

  it('ignores a password write: the bridge does not sync passwords', async () => {
    expect(await patch([{ op: 'replace', path: 'password', value: 'secret' }])).toBeNull();
  });

  it('returns null when nothing changes', async () => {
    expect(await patch([{ op: 'replace', path: 'active', value: true }])).toBeNull();
  });

  it('ignores the id Okta echoes in a path-less value', async () => {
    expect(await patch([{ op: 'replace', value: { id: 'u1', displayName: 'X' } }])).toMatchObject({ displayName: 'X' });
  });

  it.each([
    [[{ op: 'replace', path: 'id', value: 'x' }], 'MUTABILITY'],
    [[{ op: 'replace', path: 'groups', value: [] }], 'MUTABILITY'],
    [[{ op: 'replace', path: `${ENTERPRISE}:manager.displayName`, value: 'x' }], 'MUTABILITY'],
    [[{ op: 'replace', path: 'urn:scim-bridge:schemas:extension:sync:1.0:User:state', value: 'synced' }], 'MUTABILITY'],
    [[{ op: 'replace', path: ENTERPRISE, value: 'x' }], 'INVALID_VALUE'],
    [[{ op: 'replace', path: 'nonsense', value: 'x' }], 'INVALID_PATH'],
    [[{ op: 'add', path: 'name.givenName', value: 5 }], 'INVALID_VALUE'],
    [[{ op: 'remove', path: 'userName' }], 'INVALID_VALUE'],
    [[{ op: 'replace', value: 'not an object' }], 'INVALID_VALUE'],
    [[{ op: 'add', path: 'emails[type eq' }], 'INVALID_PATH'],
  ])('rejects %j with %s', async (operations, code) => {
    await expect(patch(operations)).rejects.toMatchObject({ code });
  });
});
