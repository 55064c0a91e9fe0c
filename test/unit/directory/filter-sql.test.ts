import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../../src/filter/index.js';
import { postgresDialect, sqliteDialect, type Dialect } from '../../../src/directory/sql/dialect.js';
import { filterToSql, toInstant } from '../../../src/directory/sql/filter-sql.js';
import { groupScope, matchingMemberIds, orderBy, userScope } from '../../../src/directory/sql/scopes.js';
import { render } from '../../../src/directory/sql/sql.js';

const users = (filter: string, d: Dialect = sqliteDialect) => render(filterToSql(parseFilter(filter), userScope(d, 'c1'), d), d.placeholder);
const groups = (filter: string, d: Dialect = sqliteDialect) => render(filterToSql(parseFilter(filter), groupScope(d, 'c1'), d), d.placeholder);

describe('filter translation', () => {
  it.each([
    // Index-friendly equality on the case-folded column; the value is folded in JavaScript.
    ['userName eq "Bob@X.org"', 'u.user_name_ci = ?', ['bob@x.org']],
    ['externalId eq "AbC"', 'u.external_id = ?', ['AbC']],
    ['id ne "x"', 'NOT COALESCE(u.id = ?, FALSE)', ['x']],
    // active is the SCIM view (the stored attribute), not the access column an unassigned active leaves as it was.
    ['active eq "True"', "(CASE json_type(u.attributes, ?) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END) = ?", ['$."active"', true]],
    ['meta.lastModified ge "2024-05-01T10:00:00+02:00"', 'u.last_modified >= ?', [Date.UTC(2024, 4, 1, 8)]],
    ['userName co "o"', 'instr(u.user_name_ci, CAST(? AS TEXT)) > 0', ['o']],
    ['externalId pr', "(u.external_id IS NOT NULL AND u.external_id <> '')", []],
    ['userName pr', 'TRUE', []],
    ['title eq null', `NOT COALESCE((CASE json_type(u.attributes, ?) WHEN 'null' THEN 0`, ['$."title"']],
    [
      'emails[type eq "Work"].value eq "A@B.c"',
      'u.id IN (SELECT e.user_id FROM user_emails e WHERE e.connection = ? AND (e.type_ci = ? AND e.value_ci = ?))',
      ['c1', 'work', 'a@b.c'],
    ],
    ['groups.value eq "g1"', 'u.id IN (SELECT gm.member_id FROM group_members gm JOIN groups ug', ['c1', 'g1']],
  ])('%s', (filter, text, values) => {
    const { text: actual, values: params } = users(filter);
    expect(actual.startsWith(text) || actual === text).toBe(true);
    expect(params.slice(0, values.length)).toEqual(values);
  });

  it('pushes not down to two-valued leaves', () => {
    expect(users('not (userName eq "a" or title pr)').text).toMatch(/^\(NOT COALESCE\(u\.user_name_ci = \?, FALSE\) AND NOT COALESCE\(/);
    expect(users('not (not (userName eq "a"))').text).toBe('u.user_name_ci = ?');
  });

  it('reads other attributes from JSON with canonical key paths', () => {
    expect(users('NAME.givenname eq "Al"')).toEqual({ text: 'scim_lower(json_extract(u.attributes, ?)) = ?', values: ['$."name"."givenName"', 'al'] });
    const pg = users('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"', postgresDialect);
    expect(pg).toEqual({
      text: 'lower((u.attributes #>> CAST($1 AS text[]))) = $2',
      values: [['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'department'], 'sales'],
    });
    expect(users('roles eq "Admin"', postgresDialect).text).toMatch(/^EXISTS \(SELECT 1 FROM jsonb_array_elements\(CASE WHEN jsonb_typeof/);
    expect(users('profileUrl eq "HTTP://X"').values).toContain('HTTP://X');
  });

  it('uses strpos/left/right on PostgreSQL instead of LIKE', () => {
    expect(users('userName co "a"', postgresDialect).text).toBe('strpos(u.user_name_ci, CAST($1 AS TEXT)) > 0');
    expect(users('userName sw "a"', postgresDialect).text).toBe('left(u.user_name_ci, length(CAST($1 AS TEXT))) = CAST($2 AS TEXT)');
    expect(users('userName ew "a"', postgresDialect).text).toBe('right(u.user_name_ci, length(CAST($1 AS TEXT))) = CAST($2 AS TEXT)');
    expect(users('userName gt "a"', postgresDialect).text).toBe('(u.user_name_ci) COLLATE "C" > $1');
  });

  it('translates group filters and member filters', () => {
    expect(groups('DisplayName eq "Admins"')).toEqual({ text: 'g.display_name_ci = ?', values: ['admins'] });
    expect(groups('members[value eq "u1"]').text).toBe(
      'g.id IN (SELECT gm.group_id FROM group_members gm JOIN users mu ON mu.connection = gm.connection AND mu.id = gm.member_id WHERE gm.connection = ? AND gm.member_id = ?)',
    );
    const member = render(matchingMemberIds(postgresDialect, 'c1', 'g1', parseFilter('value eq "u1" or display eq "Bob"')), postgresDialect.placeholder);
    expect(member.text).toMatch(/WHERE gm\.connection = \$1 AND gm\.group_id = \$2 AND \(gm\.member_id = \$3 OR mu\.user_name_ci = \$4\)$/);
    expect(member.values).toEqual(['c1', 'g1', 'u1', 'bob']);
  });

  it('orders by a sort key with nulls last, then created and id', () => {
    const scope = userScope(sqliteDialect, 'c1');
    expect(render(orderBy(scope, sqliteDialect, 'u', undefined), sqliteDialect.placeholder).text).toBe('u.created, u.id');
    expect(render(orderBy(scope, sqliteDialect, 'u', { by: { attr: 'meta', sub: 'created' }, descending: true }), sqliteDialect.placeholder).text).toBe(
      'CASE WHEN u.created IS NULL THEN 1 ELSE 0 END, u.created DESC, u.created, u.id',
    );
    // The same order backwards, for a page cut from the end of the list: every term flipped.
    expect(render(orderBy(scope, sqliteDialect, 'u', undefined, true), sqliteDialect.placeholder).text).toBe('u.created DESC, u.id DESC');
    expect(render(orderBy(scope, sqliteDialect, 'u', { by: { attr: 'meta', sub: 'created' }, descending: true }, true), sqliteDialect.placeholder).text).toBe(
      'CASE WHEN u.created IS NULL THEN 1 ELSE 0 END DESC, u.created ASC, u.created DESC, u.id DESC',
    );
  });

  it.each([
    ['active gt true', /boolean/],
    ['active eq "yes"', /boolean/],
    ['name eq "x"', /complex/],
    ['meta.created gt "last week"', /ISO 8601/],
    ['meta.created co "2024"', /not valid for a date/],
    ['x eq 1 and x co 1', /number or date/],
    ['meta.version eq "1"', /not filterable/],
    ['userName.x eq "a"', /no sub-attributes/],
    ['title[value eq "x"]', /multi-valued/],
    ['groups.type eq "direct"', /not filterable/],
    ['title lt null', /null/],
  ])('rejects %s', (filter, message) => {
    expect(() => users(filter)).toThrow(expect.objectContaining({ code: 'INVALID_FILTER', message: expect.stringMatching(message) }));
  });
});

describe('toInstant', () => {
  it.each([
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    ['2024-05-01T10:20:30Z', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['2024-05-01T10:20:30.123Z', Date.UTC(2024, 4, 1, 10, 20, 30, 123)],
    ['2024-05-01T10:20:30', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['2024-05-01T10:20:30-05:00', Date.UTC(2024, 4, 1, 15, 20, 30)],
  ])('%s', (text, ms) => {
    expect(toInstant(text, 'meta.created')).toBe(ms);
  });

  it.each(['yesterday', '2024-13-01T00:00:00Z', '1714557600000', '2024/05/01'])('rejects %s', (text) => {
    expect(() => toInstant(text, 'meta.created')).toThrow(expect.objectContaining({ code: 'INVALID_FILTER' }));
  });

  it('rejects a number', () => {
    expect(() => toInstant(1714557600000, 'meta.created')).toThrow(/ISO 8601/);
  });
});
