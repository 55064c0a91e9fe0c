import { describe, expect, it } from 'vitest';
import { normalizeBooleans, normalizeGroupBody, normalizeManager, normalizePatchOperations, normalizeUserBody, stripNulls, stripUnassigned, toBoolean } from '../../../src/scim/quirks.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('IdP quirk normalisation', () => {
  it.each([
    ['True', true],
    ['False', false],
    ['true', true],
    ['false', false],
    [' FALSE ', false],
    [true, true],
    ['maybe', 'maybe'],
  ])('toBoolean(%j) → %j', (input, expected) => expect(toBoolean(input)).toBe(expected));

  it('strips explicit nulls that Entra sends (docs/entra.md, what Entra sends)', () => {
    expect(stripNulls({ a: null, b: { c: null, d: 1 }, e: [null, { f: null }] })).toEqual({ b: { d: 1 }, e: [{}] });
  });

  it('fixes string booleans only at active and primary', () => {
    expect(normalizeBooleans({ active: 'False', title: 'True', roles: [{ primary: 'false', value: 'True' }] })).toEqual({
      active: false,
      title: 'True',
      roles: [{ primary: false, value: 'True' }],
    });
  });

  it('repairs the misspelled enterprise URN and drops password, groups, id and meta', () => {
    const user = normalizeUserBody({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'],
      id: 'client-id',
      userName: 'a@b.c',
      password: 'hunter22',
      groups: [],
      meta: { resourceType: 'User' },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0User': { department: 'R&D', manager: [{ $ref: null, value: 'm-1' }] },
    });
    expect(user).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName: 'a@b.c',
      [ENTERPRISE]: { department: 'R&D', manager: { value: 'm-1' } },
    });
  });

  it("drops Entra's ADSCIM group schema and adds the core one when missing", () => {
    expect(normalizeGroupBody({ schemas: ['http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'], displayName: 'G', meta: { resourceType: 'Group' } })).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'G',
    });
  });

  it('refuses a Group body carrying an extension the bridge does not declare for Groups, naming it; a URN only listed in schemas is dropped', () => {
    const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:Group';
    const group = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'G' };
    for (const body of [{ ...group, [CUSTOM]: { colour: 'blue' } }, { ...group, schemas: [...group.schemas, CUSTOM], [CUSTOM]: { colour: 'blue' } }]) {
      expect(() => normalizeGroupBody(body)).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE', message: expect.stringContaining(CUSTOM) }) as Error);
    }
    expect(() => normalizeGroupBody({ ...group, [ENTERPRISE]: { department: 'x' } })).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE', message: expect.stringContaining(ENTERPRISE) }) as Error);
    expect(normalizeGroupBody({ ...group, schemas: [...group.schemas, CUSTOM] })).toEqual(group);
  });

  it.each([
    [[{ $ref: 'http://x/Users/1', value: '1' }], { value: '1', $ref: 'http://x/Users/1' }],
    [[{ $ref: null, value: '1' }], { value: '1' }],
    ['42', { value: '42' }],
    [{ value: '7', displayName: 'Boss' }, { value: '7', displayName: 'Boss' }],
  ])('normalizeManager(%j)', (input, expected) => expect(normalizeManager(input)).toEqual(expected));

  it('drops what RFC 7643 §2.5 calls unassigned: nulls, empty arrays, empty complex values', () => {
    expect(stripUnassigned({ a: null, b: [], c: {}, d: [{}, { value: 'x', type: null }], e: { f: [] }, g: 0, h: '', i: false })).toEqual({ d: [{ value: 'x' }], g: 0, h: '', i: false });
  });

  it('normalises PatchOp envelopes: op case, key case, string booleans by path', () => {
    expect(
      normalizePatchOperations({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }, { OP: 'add', Path: 'members', Value: [{ value: 'u1' }] }] }),
    ).toEqual([
      { op: 'replace', path: 'active', value: false },
      { op: 'add', path: 'members', value: [{ value: 'u1' }] },
    ]);
    expect(normalizePatchOperations({ Operations: [{ op: 'replace', value: { active: 'True' } }] })).toEqual([{ op: 'replace', value: { active: true } }]);
  });

  it.each([
    [null, 'a PatchOp body must be a JSON object'],
    [{ Operations: [] }, 'a PatchOp needs a non-empty "Operations" array'],
    [{ Operations: [{ op: 'move' }] }, 'operation 1 has an unknown op "move"'],
    [{ Operations: [{ op: 'add', path: 5 }] }, 'operation 1 has a path that is not a string'],
    [{ Operations: ['x'] }, 'operation 1 must be an object'],
  ])('rejects %j', (body, message) => expect(normalizePatchOperations(body)).toBe(message));
});
