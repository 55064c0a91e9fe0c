import { describe, expect, it } from 'vitest';
import { postgresDialect, sqliteDialect } from '../../../src/directory/sql/dialect.js';
import { empty, join, raw, render, sql } from '../../../src/directory/sql/sql.js';

describe('sql fragments', () => {
  it('binds values and splices fragments, numbering PostgreSQL placeholders at render time', () => {
    const inner = sql`b = ${2} AND c = ${'x'}`;
    const query = sql`SELECT * FROM t WHERE a = ${1} AND ${inner} AND d IN (${join([sql`${3}`, sql`${4}`], ', ')})${empty}${raw(' LIMIT 1')}`;
    expect(render(query, postgresDialect.placeholder)).toEqual({
      text: 'SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3 AND d IN ($4, $5) LIMIT 1',
      values: [1, 2, 'x', 3, 4],
    });
    expect(render(query, sqliteDialect.placeholder).text).toBe('SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d IN (?, ?) LIMIT 1');
  });

  it('joins nothing into nothing and keeps a leading fragment', () => {
    expect(render(join([], ', '), sqliteDialect.placeholder)).toEqual({ text: '', values: [] });
    expect(render(sql`${sql`${1}`} = 1`, postgresDialect.placeholder)).toEqual({ text: '$1 = 1', values: [1] });
  });
});
