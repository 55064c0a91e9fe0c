import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import { BridgeError } from '../errors.js';

/**
 * OAuth 2.0 access tokens of the token endpoint: JWTs (RFC 7519) in the access-token profile's
 * shape (RFC 9068: `typ: at+jwt`, `iss`, `sub` the client id, `aud`, `exp`, `iat`, `jti`), signed
 * with HMAC-SHA256 by the first `http.tokenSigningKey`. A token is bound to one connection by
 * its audience and verified on every SCIM request from the token alone, with no store read, so
 * every replica with the same keys accepts every other's tokens. Verification tries the key the
 * token's `kid` names, so an older key keeps verifying the tokens it signed until they expire.
 */

const ISSUER = 'scim-bridge';
const TOKEN_TYPE = 'at+jwt';
/** The longest lifetime a client may be configured with (src/config/auth-schema.ts). */
const MAX_TOKEN_AGE_S = 21_600;
/** Replicas' clocks drift a little; a token is not refused for a few seconds of it. */
const CLOCK_TOLERANCE_S = 5;
// An empty signature (alg: none) still has the shape: it is refused as an access token, not looked up as a static one.
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** An issued token, as the token endpoint answers it. */
export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/** Issues and verifies the access tokens of every connection. */
export interface AccessTokens {
  /** Signs a token for `clientId` on `connection`, valid for `ttlSeconds`. */
  issue(connection: string, clientId: string, ttlSeconds: number): Promise<IssuedToken>;
  /** The client a token was issued to, if it is a valid token for `connection`; rejects with UNAUTHORIZED otherwise. */
  verify(token: string, connection: string): Promise<string>;
}

/** Whether a bearer value has the shape of a JWT (three base64url parts). */
export function looksLikeJwt(value: string): boolean {
  return value.length < 8_192 && jwtShape.test(value);
}

/** The audience of a connection's tokens. */
export function audienceOf(connection: string): string {
  return `urn:scim-bridge:connection:${connection}`;
}

/** Builds the token service; `keys[0]` signs. `now` is injectable for tests (expiry with a fake clock). */
export function createAccessTokens(keys: readonly string[], options: { now?: () => number } = {}): AccessTokens {
  if (keys.length === 0) throw new Error('createAccessTokens needs at least one key');
  const now = options.now ?? Date.now;
  const byKid = new Map(keys.map((key) => [keyId(key), new TextEncoder().encode(key)] as const));
  const [signingKid, signingKey] = [...byKid][0] as [string, Uint8Array];
  return {
    async issue(connection, clientId, ttlSeconds) {
      const issuedAt = Math.floor(now() / 1000);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: TOKEN_TYPE, kid: signingKid })
        .setIssuer(ISSUER)
        .setSubject(clientId)
        .setAudience(audienceOf(connection))
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .setJti(randomUUID())
        .sign(signingKey);
      return { token, expiresIn: ttlSeconds };
    },
    async verify(token, connection) {
      const key = keyOf(token, byKid);
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          typ: TOKEN_TYPE,
          issuer: ISSUER,
          audience: audienceOf(connection),
          maxTokenAge: MAX_TOKEN_AGE_S,
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['sub', 'exp', 'jti'],
          currentDate: new Date(now()),
        });
        return payload.sub as string;
      } catch (err) {
        throw refusal(err, connection);
      }
    },
  };
}

/** A stable, secret-free name of a key: its digest's first 16 characters. */
function keyId(key: string): string {
  return createHash('sha256').update(`scim-bridge token key:${key}`).digest('base64url').slice(0, 16);
}

function keyOf(token: string, byKid: ReadonlyMap<string, Uint8Array>): Uint8Array {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw invalidToken('the bearer token is not a valid access token');
  }
  const key = typeof kid === 'string' ? byKid.get(kid) : undefined;
  // An unknown key: signed by a key since removed from http.tokenSigningKey, or not by this bridge.
  if (!key) throw invalidToken('the access token was not signed by a current http.tokenSigningKey: request a new one');
  return key;
}

function refusal(err: unknown, connection: string): BridgeError {
  if (err instanceof errors.JWTExpired) return invalidToken(`the access token has expired: request a new one from /oauth/${connection}/token`);
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') return invalidToken(`the access token was issued for another connection, not "${connection}"`);
  return invalidToken('the access token is not valid (signature, type or claims)');
}

function invalidToken(message: string): BridgeError {
  return new BridgeError('UNAUTHORIZED', message, { details: { bearerError: 'invalid_token' } });
}
