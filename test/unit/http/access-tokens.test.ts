import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { audienceOf, createAccessTokens, looksLikeJwt } from '../../../src/http/access-tokens.js';
import { createAuthenticator } from '../../../src/http/auth.js';

const OLD = 'old-signing-key-0123456789abcdefghijkl';
const NEW = 'new-signing-key-0123456789abcdefghijkl';
const T0 = Date.UTC(2026, 5, 1);

describe('access tokens', () => {
  it('are RFC 9068-shaped JWTs bound to one connection, with no secret in them', async () => {
    const { token, expiresIn } = await createAccessTokens([NEW], { now: () => T0 }).issue('redis-cloud', 'entra', 3600);
    expect(expiresIn).toBe(3600);
    expect(looksLikeJwt(token)).toBe(true);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', typ: 'at+jwt', kid: expect.any(String) });
    expect(decodeJwt(token)).toMatchObject({ iss: 'scim-bridge', sub: 'entra', aud: audienceOf('redis-cloud'), iat: T0 / 1000, exp: T0 / 1000 + 3600, jti: expect.any(String) });
    expect(token).not.toContain(Buffer.from(NEW).toString('base64url').slice(0, 12));
  });

  it('rotate: a token signed with the old key verifies while the old key is listed second, and not once it is removed', async () => {
    const { token } = await createAccessTokens([OLD], { now: () => T0 }).issue('c', 'entra', 3600);
    expect(await createAccessTokens([NEW, OLD], { now: () => T0 }).verify(token, 'c')).toBe('entra');
    await expect(createAccessTokens([NEW], { now: () => T0 }).verify(token, 'c')).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/current http.tokenSigningKey/) });
    // The first key signs.
    const fresh = await createAccessTokens([NEW, OLD], { now: () => T0 }).issue('c', 'entra', 3600);
    expect(await createAccessTokens([NEW], { now: () => T0 }).verify(fresh.token, 'c')).toBe('entra');
  });

  it('expire at exp, within a few seconds of clock tolerance between replicas', async () => {
    let now = T0;
    const tokens = createAccessTokens([NEW], { now: () => now });
    const { token } = await tokens.issue('c', 'entra', 300);
    now = T0 + 303_000;
    expect(await tokens.verify(token, 'c')).toBe('entra');
    now = T0 + 306_000;
    await expect(tokens.verify(token, 'c')).rejects.toMatchObject({ code: 'UNAUTHORIZED', details: { bearerError: 'invalid_token' } });
  });

  it('a client removed from the connection loses its tokens at once', async () => {
    const tokens = createAccessTokens([NEW], { now: () => T0 });
    const { token } = await tokens.issue('c', 'gone', 3600);
    const before = createAuthenticator({ tokens: [], oauth: [{ clientId: 'gone', clientSecret: 's'.repeat(16), tokenTtlSeconds: 3600 }] }, { connection: 'c', accessTokens: tokens });
    expect(await before.authenticate(`Bearer ${token}`)).toBe('oauth:gone');
    const after = createAuthenticator({ tokens: [], oauth: [{ clientId: 'other', clientSecret: 's'.repeat(16), tokenTtlSeconds: 3600 }] }, { connection: 'c', accessTokens: tokens });
    await expect(after.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('a connection without OAuth never verifies a JWT-shaped bearer as an access token', async () => {
    const { token } = await createAccessTokens([NEW]).issue('c', 'entra', 3600);
    await expect(createAuthenticator({ tokens: ['static-token-0123456789'] }).authenticate(`Bearer ${token}`)).rejects.toMatchObject({ message: 'invalid credentials for this connection' });
  });
});
