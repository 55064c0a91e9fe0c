import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/errors.js';
import { classifyDbError, toStoreError } from '../../../src/directory/sql/db-errors.js';

const withCode = (code: string, message = 'x', extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { code, ...extra });

describe('database error classification', () => {
  it.each([
    [withCode('23505', 'duplicate key', { constraint: 'users_user_name_ci_key' }), 'unique'],
    [withCode('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed: groups.connection, groups.display_name_ci'), 'unique'],
    [withCode('ECONNREFUSED'), 'unavailable'],
    [withCode('57P01', 'terminating connection due to administrator command'), 'unavailable'],
    [withCode('08006'), 'unavailable'],
    [withCode('53300', 'too many connections'), 'unavailable'],
    [withCode('SQLITE_BUSY'), 'unavailable'],
    [withCode('SQLITE_IOERR_WRITE'), 'unavailable'],
    [new Error('timeout exceeded when trying to connect'), 'unavailable'],
    [new Error('Connection terminated unexpectedly'), 'unavailable'],
    [new AggregateError([withCode('ECONNREFUSED')]), 'unavailable'],
    [withCode('40P01', 'deadlock detected'), 'conflict'],
    [withCode('42601', 'syntax error'), undefined],
    [withCode('SQLITE_ERROR'), undefined],
    [new TypeError('boom'), undefined],
  ])('%s -> %s', (err, expected) => {
    expect(classifyDbError(err)).toBe(expected);
  });

  it('maps to BridgeErrors naming the attribute, or leaves the error alone', () => {
    const unique = toStoreError(withCode('23505', 'dup', { constraint: 'groups_display_name_ci_key' })) as BridgeError;
    expect(unique).toMatchObject({ code: 'UNIQUENESS', details: { attribute: 'displayName' } });
    const down = toStoreError(withCode('ECONNREFUSED')) as BridgeError;
    expect(down).toMatchObject({ code: 'STORE_UNAVAILABLE', kind: 'transient' });
    expect(down.isTransient).toBe(true);
    const other = withCode('42601');
    expect(toStoreError(other)).toBe(other);
    const bridge = new BridgeError('NOT_FOUND', 'x');
    expect(toStoreError(bridge)).toBe(bridge);
  });
});
