import { hash, timingSafeEqual } from 'node:crypto';
import { BridgeError } from '../errors.js';
import type { ScimAuthConfig } from '../config/schema.js';
import { looksLikeJwt, type AccessTokens } from './access-tokens.js';

/**
 * SCIM authentication per connection: static bearer tokens (several, for rotation), optional
 * HTTP Basic, and OAuth access tokens from the connection's token endpoint. Every static
 * candidate is compared, in constant time, on SHA-256 digests, so neither the token's length
 * nor its prefix shows in the timing; a bearer value that matches none and has a JWT's shape is
 * then verified as an access token of this connection (its signature, audience and expiry).
 */

// The one-shot hash: half the cost of a Hash object per request.
const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

/** A connection's credentials, pre-hashed. */
export interface Authenticator {
  /** Resolves with a stable, secret-free client key (for rate limits) or rejects with UNAUTHORIZED. */
  authenticate(authorization: string | undefined): Promise<string>;
  readonly schemes: { bearer: boolean; basic: boolean; oauth: boolean };
}

/** Builds the authenticator of one connection; `accessTokens` is required when the connection has `scim.oauth`. */
export function createAuthenticator(auth: ScimAuthConfig, oauth?: { connection: string; accessTokens: AccessTokens }): Authenticator {
  const tokens = auth.tokens.map(digest);
  const basic = auth.basic ? digest(`${auth.basic.username}:${auth.basic.password}`) : null;
  const clients = new Set((auth.oauth ?? []).map((client) => client.clientId));
  if (clients.size > 0 && !oauth) throw new Error('a connection with scim.oauth needs the access-token service');
  const verifyAccessToken = async (token: string, service: { connection: string; accessTokens: AccessTokens }): Promise<string> => {
    const clientId = await service.accessTokens.verify(token, service.connection);
    // A client removed from the configuration loses its tokens at once.
    if (!clients.has(clientId)) throw new BridgeError('UNAUTHORIZED', 'the access token belongs to a client this connection no longer has', { details: { bearerError: 'invalid_token' } });
    return `oauth:${clientId}`;
  };
  return {
    schemes: { bearer: tokens.length > 0, basic: basic !== null, oauth: clients.size > 0 },
    async authenticate(authorization) {
      const presented = parseAuthorization(authorization);
      if (!presented) throw new BridgeError('UNAUTHORIZED', 'authentication required: send "Authorization: Bearer <token>"');
      const candidates = presented.scheme === 'bearer' ? tokens : basic ? [basic] : [];
      const given = digest(presented.credential);
      let matched = -1;
      // No early exit: every candidate is compared whatever the result.
      candidates.forEach((candidate, index) => {
        if (timingSafeEqual(candidate, given) && matched === -1) matched = index;
      });
      if (matched !== -1) return `${presented.scheme}:${given.toString('hex').slice(0, 16)}`;
      if (presented.scheme === 'bearer' && oauth && clients.size > 0 && looksLikeJwt(presented.credential)) return verifyAccessToken(presented.credential, oauth);
      throw new BridgeError('UNAUTHORIZED', 'invalid credentials for this connection');
    },
  };
}

function parseAuthorization(header: string | undefined): { scheme: 'bearer' | 'basic'; credential: string } | null {
  if (!header) return null;
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match) return null;
  const scheme = (match[1] as string).toLowerCase();
  const value = (match[2] as string).trim();
  if (scheme === 'bearer') return { scheme, credential: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.includes(':') ? { scheme, credential: decoded } : null;
  }
  return null;
}
