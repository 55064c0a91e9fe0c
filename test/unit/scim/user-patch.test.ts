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
  it("Okta: path-less replace of active (sheet §5.2)", async () => {
    expect(await patch([{ op: 'replace', value: { active: false } }])).toMatchObject({ active: false });
  });

  it('Entra: Replace active with the string "False" (sheet §6.3)', async () => {
    expect(await patch([{ op: 'Replace', path: 'active', value: 'False' }])).toMatchObject({ active: false });
  });

  it('Entra with aadOptscim062020: one replace with dotted keys and an extension URN key (sheet §6.5)', async () => {
    const result = await patch([{ op: 'replace', value: { displayName: 'Ada L', 'name.givenName': 'Augusta', [`${ENTERPRISE}:employeeNumber`]: '42' } }]);
    expect(result).toMatchObject({ displayName: 'Ada L', name: { givenName: 'Augusta', familyName: 'Lovelace' }, [ENTERPRISE]: { employeeNumber: '42' } });
  });

  it('Entra: Add manager with a value array (sheet §6.3)', async () => {
    expect(await patch([{ op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ $ref: 'http://x/Users/m1', value: 'm1' }] }])).toMatchObject({ [ENTERPRISE]: { manager: { value: 'm1' } } });
  });

  it('Entra: replace emails[type eq "work"].value creates the work email when none exists', async () => {
    const result = await patch([{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada@work.example' }]);
    expect(result?.emails).toEqual([{ value: 'ada@example.com', type: 'home', primary: true }, { type: 'work', value: 'ada@work.example' }]);
  });

  it('Entra: roles as stringified JSON are stored as sent (sheet §6.6)', async () => {
    const value = '{"id":"06b0","value":"25","displayName":"Role1234"}';
    expect((await patch([{ op: 'Add', path: 'roles', value: [{ value }] }]))?.roles).toEqual([{ value: 'viewer' }, { value }]);
  });

  it('removes roles by filter and by value array', async () => {
    expect((await patch([{ op: 'remove', path: 'roles[value eq "viewer"]' }]))?.roles).toBeUndefined();
    expect((await patch([{ op: 'Remove', path: 'roles', value: [{ value: 'viewer' }] }]))?.roles).toBeUndefined();
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
    [[{ op: 'replace', path: 'nonsense', value: 'x' }], 'INVALID_PATH'],
    [[{ op: 'add', path: 'name.givenName', value: 5 }], 'INVALID_VALUE'],
    [[{ op: 'remove', path: 'userName' }], 'INVALID_VALUE'],
    [[{ op: 'replace', value: 'not an object' }], 'INVALID_VALUE'],
    [[{ op: 'add', path: 'emails[type eq' }], 'INVALID_PATH'],
  ])('rejects %j with %s', async (operations, code) => {
    await expect(patch(operations)).rejects.toMatchObject({ code });
  });
});
