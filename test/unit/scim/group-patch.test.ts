import { describe, expect, it } from 'vitest';
import { groupChangeFromPatch } from '../../../src/scim/group-patch.js';
import { normalizePatchOperations, type PatchOperation } from '../../../src/scim/quirks.js';

const ops = (operations: unknown[]): PatchOperation[] => {
  const parsed = normalizePatchOperations({ Operations: operations });
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};

describe('group PATCH as membership deltas', () => {
  it("Okta: rename with the id echoed, then remove by filter and add (sheet §5.3)", () => {
    expect(
      groupChangeFromPatch(ops([
        { op: 'replace', value: { id: 'g1', displayName: 'Renamed' } },
        { op: 'remove', path: 'members[value eq "89bb"]' },
        { op: 'add', path: 'members', value: [{ value: '23a3', display: 'test.user@okta.local' }] },
      ])),
    ).toEqual({ displayName: 'Renamed', removeMembers: ['89bb'], addMembers: ['23a3'] });
  });

  it('Okta: a full replace of members becomes replaceMembers', () => {
    expect(groupChangeFromPatch(ops([{ op: 'replace', path: 'members', value: [{ value: 'a' }, { value: 'b' }] }]))).toEqual({ replaceMembers: ['a', 'b'] });
  });

  it('Entra: capitalised ops, Remove with a value array (sheet §6.4)', () => {
    expect(groupChangeFromPatch(ops([{ op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }]))).toEqual({ removeMembers: ['u1', 'u2'] });
    expect(groupChangeFromPatch(ops([{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'u3' }] }]))).toEqual({ addMembers: ['u3'] });
    expect(groupChangeFromPatch(ops([{ op: 'Replace', path: 'displayName', value: 'X' }]))).toEqual({ displayName: 'X' });
  });

  it('folds operations in order: add then remove of one id cancels out', () => {
    expect(groupChangeFromPatch(ops([{ op: 'add', path: 'members', value: [{ value: 'a' }] }, { op: 'remove', path: 'members[value eq "a"]' }]))).toEqual({ removeMembers: ['a'] });
    expect(groupChangeFromPatch(ops([{ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: 'z' }] }]))).toEqual({ replaceMembers: ['z'] });
  });

  it('de-duplicates members', () => {
    expect(groupChangeFromPatch(ops([{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'a' }] }]))).toEqual({ addMembers: ['a'] });
  });

  it('turns or-ed value filters into ids and leaves other filters to the store', () => {
    expect(groupChangeFromPatch(ops([{ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }]))).toEqual({ removeMembers: ['a', 'b'] });
    const change = groupChangeFromPatch(ops([{ op: 'remove', path: 'members[display sw "x"]' }]));
    expect(change.removeMembersWhere).toMatchObject({ kind: 'compare', op: 'sw' });
  });

  it.each([
    [[{ op: 'add', path: 'title', value: 'x' }], 'INVALID_PATH'],
    [[{ op: 'remove', path: 'displayName' }], 'MUTABILITY'],
    [[{ op: 'replace', path: 'displayName', value: '' }], 'INVALID_VALUE'],
    [[{ op: 'add', path: 'members', value: [{ display: 'no id' }] }], 'INVALID_VALUE'],
    [[{ op: 'replace', path: 'members[value eq "a"]', value: [] }], 'INVALID_PATH'],
    [[{ op: 'remove' }], 'NO_TARGET'],
  ])('rejects %j with %s', (operations, code) => {
    expect(() => groupChangeFromPatch(ops(operations))).toThrowError(expect.objectContaining({ code }) as Error);
  });
});
