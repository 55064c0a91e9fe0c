import { describe, expect, it } from 'vitest';
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

  it('takes as long for a wrong token sharing all but the last character as for one sharing nothing', () => {
    const token = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0';
    const single = createAuthenticator({ tokens: [token] });
    const nearMiss = `Bearer ${token.slice(0, -1)}x`;
    const farMiss = `Bearer ${'z'.repeat(token.length)}`;
    const block = (header: string): number => {
      const started = process.hrtime.bigint();
      // The comparison runs before the promise settles: the time taken here is the check's own.
      for (let i = 0; i < 200; i++) single.authenticate(header).catch(() => undefined);
      return Number(process.hrtime.bigint() - started);
    };
    const near: number[] = [];
    const far: number[] = [];
    // Interleaved blocks, so drift in machine load hits both sides alike; medians ignore GC pauses.
    for (let round = 0; round < 60; round++) {
      near.push(block(nearMiss));
      far.push(block(farMiss));
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const ratio = median(near) / median(far);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });
});
