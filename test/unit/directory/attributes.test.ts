import { describe, expect, it } from 'vitest';
import { parseAttrPath } from '../../../src/filter/index.js';
import { canonicalAttr, CORE_GROUP, CORE_USER, ENTERPRISE_USER, jsonKeyPath } from '../../../src/directory/sql/attributes.js';

describe('canonicalAttr', () => {
  it.each([
    ['USERNAME', { name: 'userName' }, ['userName']],
    [`${CORE_USER}:userName`, { name: 'userName' }, ['userName']],
    [`${CORE_USER.toUpperCase()}:NAME.GIVENNAME`, { name: 'name', sub: 'givenName' }, ['name', 'givenName']],
    ['emails.VALUE', { name: 'emails', sub: 'value' }, ['emails', 'value']],
    ['addresses.POSTALCODE', { name: 'addresses', sub: 'postalCode' }, ['addresses', 'postalCode']],
    ['phoneNumbers.$ref', { name: 'phoneNumbers', sub: '$ref' }, ['phoneNumbers', '$ref']],
    [`${ENTERPRISE_USER}:Department`, { extension: ENTERPRISE_USER, name: 'department' }, [ENTERPRISE_USER, 'department']],
    [`${ENTERPRISE_USER}:manager.VALUE`, { extension: ENTERPRISE_USER, name: 'manager', sub: 'value' }, [ENTERPRISE_USER, 'manager', 'value']],
    // Enterprise names are unique, so the short form finds them too.
    ['costCenter', { extension: ENTERPRISE_USER, name: 'costCenter' }, [ENTERPRISE_USER, 'costCenter']],
    // Unknown attributes and extensions keep the client's spelling.
    ['favouriteColour', { name: 'favouriteColour' }, ['favouriteColour']],
    ['urn:example:ext:1.0:User:badge.Level', { extension: 'urn:example:ext:1.0:User', name: 'badge', sub: 'Level' }, ['urn:example:ext:1.0:User', 'badge', 'Level']],
  ])('User %s', (text, expected, keyPath) => {
    const attr = canonicalAttr('User', parseAttrPath(text));
    expect(attr).toMatchObject(expected);
    expect(attr.extension).toBe((expected as { extension?: string }).extension);
    expect(jsonKeyPath(attr)).toEqual(keyPath);
  });

  it('knows attribute kinds', () => {
    expect(canonicalAttr('User', parseAttrPath('roles')).def).toMatchObject({ isMultiValued: true, defaultSub: 'value' });
    expect(canonicalAttr('User', parseAttrPath('active')).def?.type).toBe('boolean');
    expect(canonicalAttr('User', parseAttrPath('externalId')).def?.isCaseExact).toBe(true);
    expect(canonicalAttr('User', parseAttrPath('name')).def?.defaultSub).toBeUndefined();
  });

  it('resolves Group attributes against the Group schema only', () => {
    expect(canonicalAttr('Group', parseAttrPath(`${CORE_GROUP}:DISPLAYNAME`))).toMatchObject({ name: 'displayName' });
    expect(canonicalAttr('Group', parseAttrPath('MEMBERS.value'))).toMatchObject({ name: 'members', sub: 'value' });
    expect(canonicalAttr('Group', parseAttrPath('department')).extension).toBeUndefined();
  });
});
