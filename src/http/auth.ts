import { createHash, timingSafeEqual } from 'node:crypto';
import { BridgeError } from '../errors.js';
import type { ScimAuthConfig } from '../config/schema.js';

/**
 * SCIM authentication per connection: bearer tokens (several, for rotation) and optional HTTP
 * Basic. Every candidate is compared, in constant time, on SHA-256 digests, so neither the
 * token's length nor its prefix shows in the timing.
 */

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** A connection's credentials, pre-hashed. */
export interface Authenticator {
  /** Resolves with a stable, secret-free client key (for rate limits) or rejects with UNAUTHORIZED. */
  authenticate(authorization: string | undefined): Promise<string>;
  readonly schemes: { bearer: boolean; basic: boolean };
}

/** Builds the authenticator of one connection. */
export function createAuthenticator(auth: ScimAuthConfig): Authenticator {
  const tokens = auth.tokens.map(digest);
  const basic = auth.basic ? digest(`${auth.basic.username}:${auth.basic.password}`) : null;
  return {
    schemes: { bearer: tokens.length > 0, basic: basic !== null },
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
      if (matched === -1) throw new BridgeError('UNAUTHORIZED', 'invalid credentials for this connection');
      return `${presented.scheme}:${given.toString('hex').slice(0, 16)}`;
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
