import { describe, expect, it } from 'vitest';
import { parseProjection, project, wantsMembers } from '../../../src/scim/projection.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  schemas: ['s'],
  id: '1',
  userName: 'a',
  name: { givenName: 'A', familyName: 'B' },
  emails: [{ value: 'a@x', type: 'work' }],
  [ENTERPRISE]: { department: 'D', employeeNumber: '7' },
  meta: { resourceType: 'User' },
};

describe('attributes and excludedAttributes', () => {
  it.each([
    ['userName', { schemas: ['s'], id: '1', userName: 'a', meta: { resourceType: 'User' } }],
    ['USERNAME,name.givenName', { schemas: ['s'], id: '1', userName: 'a', name: { givenName: 'A' }, meta: { resourceType: 'User' } }],
    ['emails.value', { schemas: ['s'], id: '1', emails: [{ value: 'a@x' }], meta: { resourceType: 'User' } }],
    [`${ENTERPRISE}:department`, { schemas: ['s'], id: '1', [ENTERPRISE]: { department: 'D' }, meta: { resourceType: 'User' } }],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName', { schemas: ['s'], id: '1', userName: 'a', meta: { resourceType: 'User' } }],
  ])('attributes=%s', (attributes, expected) => expect(project(user, parseProjection(attributes, undefined))).toEqual(expected));

  it('excludes but never drops schemas, id or meta', () => {
    const result = project(user, parseProjection(undefined, 'emails,id,meta,name.familyName'));
    expect(result).toEqual({ schemas: ['s'], id: '1', userName: 'a', name: { givenName: 'A' }, [ENTERPRISE]: user[ENTERPRISE], meta: user.meta });
  });

  it('excludes a whole extension', () => expect(project(user, parseProjection(undefined, ENTERPRISE))).not.toHaveProperty(ENTERPRISE));

  it('knows when group members are needed', () => {
    expect(wantsMembers(parseProjection(undefined, 'members'))).toBe(false);
    expect(wantsMembers(parseProjection(undefined, 'members.display'))).toBe(true);
    expect(wantsMembers(parseProjection('displayName', undefined))).toBe(false);
    expect(wantsMembers(parseProjection('members', undefined))).toBe(true);
    expect(wantsMembers({})).toBe(true);
  });

  it.each(['emails[type eq "work"]', 'emails[type eq "work"].value', 'name.givenName.first', 'a b', `${ENTERPRISE}:manager[value pr]`, 'urn:x[y]:User', '.x'])(
    'refuses %j with INVALID_PATH (RFC 7644 §3.10 has no filters)',
    (attributes) => {
      for (const [include, exclude] of [[attributes, undefined], [undefined, attributes]]) {
        expect(() => parseProjection(include, exclude)).toThrowError(expect.objectContaining({ code: 'INVALID_PATH' }) as Error);
      }
    },
  );

  it('rejects a repeated parameter', () => expect(() => parseProjection(['a', 'b'], undefined)).toThrowError(expect.objectContaining({ code: 'INVALID_SYNTAX' }) as Error));
});
