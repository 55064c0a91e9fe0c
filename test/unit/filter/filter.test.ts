import { describe, expect, it } from 'vitest';
import { FilterError, attrName, isStorableText, matches, parseAttrPath, parseFilter, parsePatchPath } from '../../../src/filter/index.js';

/** The SCIM filter grammar on its own (RFC 7644 §3.4.2.2, §3.5.2, §3.10): no store, no HTTP. */

describe('parseFilter', () => {
  const cases: [string, unknown][] = [
    ['userName eq "bjensen"', { kind: 'compare', path: { attr: 'userName' }, op: 'eq', value: 'bjensen' }],
    ['USERNAME EQ "x"', { kind: 'compare', path: { attr: 'USERNAME' }, op: 'eq', value: 'x' }],
    ['title pr', { kind: 'present', path: { attr: 'title' } }],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', { kind: 'compare', path: { attr: 'meta', sub: 'lastModified' }, op: 'gt', value: '2011-05-13T04:42:34Z' }],
    ['externalId eq jyoung', { kind: 'compare', path: { attr: 'externalId' }, op: 'eq', value: 'jyoung' }],
    ['externalId eq 000123', { kind: 'compare', path: { attr: 'externalId' }, op: 'eq', value: '000123' }],
    ['externalId eq 12345678901234567891', { kind: 'compare', path: { attr: 'externalId' }, op: 'eq', value: '12345678901234567891' }],
    ['x eq -2', { kind: 'compare', path: { attr: 'x' }, op: 'eq', value: -2 }],
    ['active eq true', { kind: 'compare', path: { attr: 'active' }, op: 'eq', value: true }],
    ['count ge 3.5', { kind: 'compare', path: { attr: 'count' }, op: 'ge', value: 3.5 }],
    ['manager eq null', { kind: 'compare', path: { attr: 'manager' }, op: 'eq', value: null }],
    [
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"',
      { kind: 'compare', path: { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'employeeNumber' }, op: 'eq', value: '7' },
    ],
    [
      'emails[type eq "work"].value eq "a@b.c"',
      {
        kind: 'has',
        path: { attr: 'emails' },
        filter: { kind: 'and', left: { kind: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' }, right: { kind: 'compare', path: { attr: 'value' }, op: 'eq', value: 'a@b.c' } },
      },
    ],
    ['members[value eq "42"]', { kind: 'has', path: { attr: 'members' }, filter: { kind: 'compare', path: { attr: 'value' }, op: 'eq', value: '42' } }],
    ['title eq "say \\"hi\\""', { kind: 'compare', path: { attr: 'title' }, op: 'eq', value: 'say "hi"' }],
  ];
  it.each(cases)('parses %s', (input, expected) => expect(parseFilter(input)).toEqual(expected));

  it('binds not tighter than and, and tighter than or', () => {
    const filter = parseFilter('a eq 1 or b eq 2 and not (c eq 3)');
    expect(filter).toMatchObject({ kind: 'or', right: { kind: 'and', right: { kind: 'not' } } });
  });

  it('keeps nested parentheses', () => {
    expect(parseFilter('((a eq 1) or (b eq 2)) and c sw "x"')).toMatchObject({ kind: 'and', left: { kind: 'or' } });
  });

  const bad = ['', '   ', 'userName eq', 'userName', '(a eq 1', 'a eq 1)', 'a zz 1', 'a eq "x', 'a eq 1 and', 'not a eq 1', '[a eq 1]', 'a.b.c eq 1', `${'('.repeat(40)}a eq 1${')'.repeat(40)}`, 'x'.repeat(5000)];
  it.each(bad)('rejects %j with INVALID_FILTER', (input) => {
    try {
      parseFilter(input);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FilterError);
      expect((err as FilterError).code).toBe('INVALID_FILTER');
    }
  });
});

describe('parsePatchPath', () => {
  it.each([
    ['name.givenName', { path: { attr: 'name', sub: 'givenName' } }],
    ['members[value eq "x"]', { path: { attr: 'members' }, filter: { kind: 'compare', path: { attr: 'value' }, op: 'eq', value: 'x' } }],
    ['emails[type eq "work"].value', { path: { attr: 'emails' }, filter: { kind: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' }, sub: 'value' }],
    [
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
      { path: { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'manager' } },
    ],
  ])('parses %s', (input, expected) => expect(parsePatchPath(input)).toEqual(expected));

  it.each(['members[value eq "x"', 'members[bogus]', 'emails[type eq "w"]value', 'a..b', ''])('rejects %j with INVALID_PATH', (input) => {
    expect(() => parsePatchPath(input)).toThrowError(expect.objectContaining({ name: 'FilterError', code: 'INVALID_PATH' }) as Error);
  });
});

describe('parseAttrPath and attrName', () => {
  it.each([
    ['userName', { attr: 'userName' }, 'userName'],
    ['name.givenName', { attr: 'name', sub: 'givenName' }, 'name.givenName'],
    ['manager.$ref', { attr: 'manager', sub: '$ref' }, 'manager.$ref'],
    ['urn:ietf:params:scim:schemas:core:2.0:User:emails.value', { schema: 'urn:ietf:params:scim:schemas:core:2.0:User', attr: 'emails', sub: 'value' }, 'emails.value'],
  ])('%s', (input, expected, name) => {
    const path = parseAttrPath(input);
    expect(path).toEqual(expected);
    expect(attrName(path)).toBe(name);
  });

  it.each(['', 'a.b.c', 'emails[type eq "work"]', '1st', 'a b', 'name.', '.x'])('rejects %j with INVALID_PATH', (input) => {
    expect(() => parseAttrPath(input)).toThrowError(expect.objectContaining({ code: 'INVALID_PATH' }) as Error);
  });
});

describe('isStorableText', () => {
  it.each([
    ['plain', true],
    ['emoji \ud83d\ude00', true],
    ['nul \u0000', false],
    ['lone high \ud800', false],
    ['lone low \udc00', false],
  ])('%s → %s', (text, expected) => expect(isStorableText(text)).toBe(expected));
});

describe('matches', () => {
  const email = { type: 'Work', value: 'Ada@Example.com', primary: true };
  it.each([
    ['type eq "work"', true],
    ['value ew "example.com"', true],
    ['value sw "bob"', false],
    ['primary eq true and not (type eq "home")', true],
    ['display pr', false],
    ['type ne "work"', false],
  ])('%s → %s', (filter, expected) => expect(matches(parseFilter(filter), email)).toBe(expected));

  const user = { userName: 'Ada', age: 36, emails: [{ type: 'work', value: 'a@w.example' }, { type: 'home', value: 'a@h.example' }], name: { givenName: 'Ada' } };
  it.each([
    ['emails[type eq "home" and value ew "h.example"]', true],
    ['emails[type eq "other"]', false],
    ['emails.value eq "A@H.EXAMPLE"', true],
    ['name.givenName sw "a"', true],
    ['age gt 30 and age le 36', true],
    ['age gt "30"', false],
    ['title eq null', true],
    ['userName eq null', false],
    ['not (title pr)', true],
  ])('on a user: %s → %s', (filter, expected) => expect(matches(parseFilter(filter), user)).toBe(expected));
});
