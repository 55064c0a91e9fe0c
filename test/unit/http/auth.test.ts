import { describe, expect, it, vi } from 'vitest';

// The real comparison, watched: which buffers the authenticator compares, and how many.
const compared = vi.hoisted(() => vi.fn());
vi.mock('node:crypto', async (original) => {
  const crypto = await original<typeof import('node:crypto')>();
  compared.mockImplementation(crypto.timingSafeEqual);
  return { ...crypto, default: { ...crypto, timingSafeEqual: compared }, timingSafeEqual: compared };
});
import { createAuthenticator } from '../../../src/http/auth.js';

const auth = createAuthenticator({ tokens: ['token-one-0123456789', 'token-two-0123456789'], basic: { username: 'okta', password: 'basic-password-123' } });
const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('SCIM authentication', () => {
  it('accepts every configured token (rotation) and Basic credentials', async () => {
    expect(await auth.authenticate('Bearer token-one-0123456789')).toMatch(/^bearer:/);
    expect(await auth.authenticate('bearer   token-two-0123456789')).toMatch(/^bearer:/);
    expect(await auth.authenticate(basic('okta', 'basic-password-123'))).toMatch(/^basic:/);
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
  ])('rejects %j with UNAUTHORIZED', async (header) => {
    await expect(auth.authenticate(header)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('never puts the presented or configured secret in the error or the client key', async () => {
    const err = await auth.authenticate('Bearer token-one-0123456789X').catch((e: unknown) => e);
    expect(String(err)).toMatch(/invalid credentials/);
    expect(String(err)).not.toContain('token-one');
    expect(await auth.authenticate('Bearer token-one-0123456789')).not.toContain('token-one');
  });

  it('advertises only the schemes that are configured', () => {
    expect(createAuthenticator({ tokens: ['token-one-0123456789'] }).schemes).toEqual({ bearer: true, basic: false, oauth: false });
  });

  it('refuses a token rotated out of the configuration', async () => {
    // Rotation: both tokens configured, then the old one removed and the bridge restarted.
    const rotated = createAuthenticator({ tokens: ['token-two-0123456789'] });
    await expect(rotated.authenticate('Bearer token-one-0123456789')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await rotated.authenticate('Bearer token-two-0123456789')).toMatch(/^bearer:/);
  });

  it('compares every candidate, in full, on fixed-length digests, whatever the presented token shares with one', async () => {
    // What makes the check constant-time is its shape, not a stopwatch (timings flake under load):
    // every presented value is hashed to 32 bytes and compared with every candidate through
    // timingSafeEqual, with no early exit, so neither the prefix nor the length shows.
    const token = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0';
    const several = createAuthenticator({ tokens: ['token-one-0123456789', token, 'token-three-0123456789'] });
    const presented = [`${token.slice(0, -1)}x`, 'z'.repeat(token.length), 'z', 'z'.repeat(500), token];
    for (const value of presented) {
      compared.mockClear();
      await several.authenticate(`Bearer ${value}`).catch(() => undefined);
      expect(compared.mock.calls.length, value).toBe(3);
      for (const [a, b] of compared.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
  });
});
