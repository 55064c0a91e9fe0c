import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/http/auth.js';

const auth = createAuthenticator({ tokens: ['token-one-0123456789', 'token-two-0123456789'], basic: { username: 'okta', password: 'basic-password-123' } });
const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('SCIM authentication', () => {
  it('accepts every configured token (rotation) and Basic credentials', () => {
    expect(auth.authenticate('Bearer token-one-0123456789')).toMatch(/^bearer:/);
    expect(auth.authenticate('bearer   token-two-0123456789')).toMatch(/^bearer:/);
    expect(auth.authenticate(basic('okta', 'basic-password-123'))).toMatch(/^basic:/);
  });

  it.each([
    [undefined],
    [''],
    ['Bearer'],
    ['Bearer token-one-012345678'],
    ['Bearer token-one-01234567890'],
    ['Token token-one-0123456789'],
    [basic('okta', 'wrong')],
    ['Basic !!!'],
  ])('rejects %j with UNAUTHORIZED', (header) => {
    expect(() => auth.authenticate(header)).toThrowError(expect.objectContaining({ code: 'UNAUTHORIZED' }) as Error);
  });

  it('never puts the presented or configured secret in the error or the client key', () => {
    try {
      auth.authenticate('Bearer token-one-0123456789X');
    } catch (err) {
      expect(String(err)).not.toContain('token-one');
    }
    expect(auth.authenticate('Bearer token-one-0123456789')).not.toContain('token-one');
  });

  it('advertises only the schemes that are configured', () => {
    expect(createAuthenticator({ tokens: ['token-one-0123456789'] }).schemes).toEqual({ bearer: true, basic: false });
  });
});
