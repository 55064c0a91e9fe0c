import { describe, expect, it } from 'vitest';
import { groupChangeFromPatch } from '../../../src/scim/group-patch.js';
import { normalizePatchOperations, type PatchOperation } from '../../../src/scim/quirks.js';

const ops = (operations: unknown[]): PatchOperation[] => {
  const parsed = normalizePatchOperations({ Operations: operations });
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};

describe('group PATCH as membership deltas', () => {
  it("Okta: rename with the id echoed, then remove by filter and add (Okta SCIM 2.0 reference, Group Push)", () => {
    expect(
      groupChangeFromPatch(ops([
        { op: 'replace', value: { id: 'g1', displayName: 'Renamed' } },
        { op: 'remove', path: 'members[value eq "89bb"]' },
        { op: 'add', path: 'members', value: [{ value: '23a3', display: 'test.user@okta.local' }] },
      ])),
    ).toEqual({ displayName: 'Renamed', members: [{ kind: 'remove', ids: ['89bb'] }, { kind: 'add', ids: ['23a3'] }] });
  });

  it('Okta: a full replace of members becomes one replace step', () => {
    expect(groupChangeFromPatch(ops([{ op: 'replace', path: 'members', value: [{ value: 'a' }, { value: 'b' }] }]))).toEqual({ members: [{ kind: 'replace', ids: ['a', 'b'] }] });
  });

  it('Entra: capitalised ops, Remove with a value array (Microsoft Learn, SCIM endpoint tutorial)', () => {
    expect(groupChangeFromPatch(ops([{ op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }]))).toEqual({ members: [{ kind: 'remove', ids: ['u1', 'u2'] }] });
    expect(groupChangeFromPatch(ops([{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'u3' }] }]))).toEqual({ members: [{ kind: 'add', ids: ['u3'] }] });
    expect(groupChangeFromPatch(ops([{ op: 'Replace', path: 'displayName', value: 'X' }]))).toEqual({ displayName: 'X' });
  });

  it('folds operations in order: add then remove of one id cancels out', () => {
    expect(groupChangeFromPatch(ops([{ op: 'add', path: 'members', value: [{ value: 'a' }] }, { op: 'remove', path: 'members[value eq "a"]' }]))).toEqual({ members: [{ kind: 'remove', ids: ['a'] }] });
    expect(groupChangeFromPatch(ops([{ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: 'z' }] }]))).toEqual({ members: [{ kind: 'replace', ids: ['z'] }] });
  });

  it('de-duplicates members', () => {
    expect(groupChangeFromPatch(ops([{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'a' }] }]))).toEqual({ members: [{ kind: 'add', ids: ['a'] }] });
  });

  it('turns or-ed value filters into ids and leaves other filters to the store', () => {
    expect(groupChangeFromPatch(ops([{ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }]))).toEqual({ members: [{ kind: 'remove', ids: ['a', 'b'] }] });
    const change = groupChangeFromPatch(ops([{ op: 'remove', path: 'members[display sw "x"]' }]));
    expect(change.members).toEqual([{ kind: 'removeWhere', filter: expect.objectContaining({ kind: 'compare', op: 'sw' }) }]);
  });

  it('keeps a filter removal in its place among the other membership operations (RFC 7644 §3.5.2)', () => {
    const add = (value: string) => ({ op: 'add', path: 'members', value: [{ value }] });
    const byDisplay = { op: 'remove', path: 'members[display eq "x@example.com"]' };
    const filter = expect.objectContaining({ kind: 'compare' });
    expect(groupChangeFromPatch(ops([add('x'), byDisplay, add('y')])).members).toEqual([
      { kind: 'add', ids: ['x'] },
      { kind: 'removeWhere', filter },
      { kind: 'add', ids: ['y'] },
    ]);
    expect(groupChangeFromPatch(ops([{ op: 'replace', path: 'members', value: [{ value: 'x' }] }, byDisplay])).members).toEqual([
      { kind: 'replace', ids: ['x'] },
      { kind: 'removeWhere', filter },
    ]);
    expect(groupChangeFromPatch(ops([add('x'), byDisplay, { op: 'remove', path: 'members' }, add('z')])).members).toEqual([{ kind: 'replace', ids: ['z'] }]);
  });

  it.each([
    [[{ op: 'add', path: 'title', value: 'x' }], 'INVALID_PATH'],
    [[{ op: 'remove', path: 'displayName' }], 'MUTABILITY'],
    [[{ op: 'replace', path: 'displayName', value: '' }], 'INVALID_VALUE'],
    [[{ op: 'add', path: 'members', value: [{ display: 'no id' }] }], 'INVALID_VALUE'],
    [[{ op: 'replace', path: 'members[value eq "a"]', value: [] }], 'INVALID_PATH'],
    [[{ op: 'remove' }], 'NO_TARGET'],
    [[{ op: 'replace', path: 'id', value: 'x' }], 'MUTABILITY'],
    [[{ op: 'replace', path: 'meta.version', value: 'x' }], 'MUTABILITY'],
    [[{ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:title', value: 'x' }], 'INVALID_PATH'],
  ])('rejects %j with %s', (operations, code) => {
    expect(() => groupChangeFromPatch(ops(operations))).toThrowError(expect.objectContaining({ code }) as Error);
  });

  describe('an extension the bridge does not declare for Groups: invalidValue naming it, as for Users', () => {
    const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:Group';
    it.each([
      ['a path-less value keyed by its URN', [{ op: 'replace', value: { displayName: 'X', [CUSTOM]: { colour: 'blue' } } }], CUSTOM],
      ['a path-less add keyed by its URN', [{ op: 'add', value: { [CUSTOM]: { colour: 'blue' } } }], CUSTOM],
      ['a path in it', [{ op: 'replace', path: `${CUSTOM}:colour`, value: 'blue' }], `${CUSTOM}:colour`],
      ['its URN as the path', [{ op: 'add', path: CUSTOM, value: { colour: 'blue' } }], CUSTOM],
      ['a remove in it', [{ op: 'remove', path: `${CUSTOM}:colour` }], `${CUSTOM}:colour`],
      ['a User schema on a Group', [{ op: 'replace', value: { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'x' } } }], 'enterprise:2.0:User'],
      ['in the second operation', [{ op: 'replace', path: 'displayName', value: 'X' }, { op: 'replace', path: `${CUSTOM}:colour`, value: 'blue' }], 'operation 2'],
    ])('%s', (_name, operations, named) => {
      expect(() => groupChangeFromPatch(ops(operations))).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE', message: expect.stringContaining(named) }) as Error);
    });

    it('the core Group schema is declared: a path in it is an ordinary attribute', () => {
      expect(groupChangeFromPatch(ops([{ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName', value: 'X' }]))).toEqual({ displayName: 'X' });
    });
  });
});
