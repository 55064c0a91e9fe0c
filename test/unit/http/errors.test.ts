import { describe, expect, it } from 'vitest';
import { BridgeError, type ErrorCode } from '../../../src/errors.js';
import { httpMappingOf, toHttpError } from '../../../src/http/errors.js';

describe('error mapping', () => {
  it.each<[ErrorCode, number, string | undefined]>([
    ['INVALID_SYNTAX', 400, 'invalidSyntax'],
    ['INVALID_FILTER', 400, 'invalidFilter'],
    ['INVALID_PATH', 400, 'invalidPath'],
    ['MUTABILITY', 400, 'mutability'],
    ['UNIQUENESS', 409, 'uniqueness'],
    ['NOT_FOUND', 404, undefined],
    ['VERSION_MISMATCH', 412, undefined],
    ['UNAUTHORIZED', 401, undefined],
    ['PAYLOAD_TOO_LARGE', 413, undefined],
    ['RATE_LIMITED', 429, undefined],
    ['STORE_UNAVAILABLE', 503, undefined],
    ['TARGET_RATE_LIMITED', 503, undefined],
    ['TARGET_UNAVAILABLE', 503, undefined],
    ['TARGET_CONFLICT', 409, 'uniqueness'],
    ['PROTECTED_ACCOUNT', 403, undefined],
    ['INTERNAL', 500, undefined],
  ])('%s → %i %s', (code, status, scimType) => {
    expect(httpMappingOf(new BridgeError(code, 'x'))).toEqual({ status, ...(scimType ? { scimType } : {}) });
  });

  it('maps body-parser errors and never turns an unknown error into a 404', () => {
    expect(toHttpError(Object.assign(new Error('big'), { type: 'entity.too.large' })).code).toBe('PAYLOAD_TOO_LARGE');
    expect(toHttpError(Object.assign(new Error('bad'), { type: 'entity.parse.failed' })).code).toBe('INVALID_SYNTAX');
    expect(httpMappingOf(toHttpError(new TypeError('oops'))).status).toBe(500);
    expect(httpMappingOf(toHttpError('string thrown')).status).toBe(500);
  });
});
