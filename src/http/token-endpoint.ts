import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { OAuthClientConfig } from '../config/auth-schema.js';
import { BridgeError } from '../errors.js';
import type { AccessTokens } from './access-tokens.js';
import type { AuthFailureLimiter } from './auth-failures.js';
import { sendOAuthError } from './errors.js';
import { createSilentLogger, type Logger } from '../logging/logger.js';
import { requestLog, setScimConnection } from './request-context.js';

// Only where the app's request context did not run (a router mounted on its own).
let silent: Logger | undefined;
const fallbackLogOf = (req: Request): Logger => requestLog(req) ?? (silent ??= createSilentLogger());

/**
 * `POST /oauth/<connection>/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4) for
 * connections with `scim.oauth`. The client authenticates with HTTP Basic or with `client_id`
 * and `client_secret` in the form body (§2.3.1), never both; the answer is an access token for
 * that connection's SCIM API (§5.1), or an error (§5.2). Client secrets are compared in constant
 * time; failed client authentications are braked like failed SCIM authentication.
 */

/** What the endpoint needs of one connection. */
export interface OAuthConnection {
  name: string;
  clients: readonly OAuthClientConfig[];
}

/** Options of {@link createTokenEndpoint}. */
export interface TokenEndpointOptions {
  /** Only the connections that have OAuth clients (none: every request is 404). */
  connections: ReadonlyMap<string, OAuthConnection>;
  /** Required when there is a connection. */
  accessTokens?: AccessTokens;
  authFailures: AuthFailureLimiter;
}

const FORM = 'application/x-www-form-urlencoded';
const digest = (clientId: string, secret: string): Buffer => createHash('sha256').update(`${clientId}\n${secret}`, 'utf8').digest();
/** RFC 6749 §3.3: scope tokens are printable ASCII without space, " and \. */
const scopePattern = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/** The token endpoint's router, to mount at `/oauth`. */
export function createTokenEndpoint(options: TokenEndpointOptions): Router {
  const router = Router({ mergeParams: true });
  const verifiers = new Map([...options.connections].map(([name, connection]) => [name, clientVerifier(connection.clients)]));
  router.all('/:connection/token', (req, _res, next) => {
    if (req.method !== 'POST') return next(new BridgeError('METHOD_NOT_ALLOWED', 'the token endpoint takes POST only (RFC 6749 §3.2)'));
    if (!verifiers.has(String(req.params.connection))) return next(new BridgeError('NOT_FOUND', `no connection named "${String(req.params.connection).slice(0, 64)}" uses OAuth`));
    if (!req.is(FORM)) return next(new BridgeError('INVALID_SYNTAX', `send the parameters as ${FORM}`));
    next();
  });
  router.post('/:connection/token', express.urlencoded({ type: FORM, extended: false, limit: '8kb', parameterLimit: 20 }), (req, res, next) => {
    const name = String(req.params.connection);
    setScimConnection(req, name);
    issue(options, verifiers.get(name) as ClientVerifier, name, req, res).catch(next);
  });
  router.use((_req: Request, _res: Response, next: NextFunction) => next(new BridgeError('NOT_FOUND', 'no such OAuth endpoint: POST /oauth/<connection>/token')));
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => sendOAuthError(res, err, fallbackLogOf(req)));
  return router;
}

async function issue(options: TokenEndpointOptions, verify: ClientVerifier, connection: string, req: Request, res: Response): Promise<void> {
  const form = formOf(req.body);
  const presented = presentedClient(req.header('authorization'), form);
  const client = presented ? verify(presented) : null;
  if (!client) {
    const waitMs = await options.authFailures.recordFailure({ connection, client: req.ip ?? req.socket.remoteAddress ?? 'unknown' });
    if (waitMs !== null) throw new BridgeError('RATE_LIMITED', 'too many failed client authentications from this address; retry later', { retryAfterMs: waitMs });
    throw new BridgeError('UNAUTHORIZED', presented ? 'client authentication failed: unknown client or wrong secret' : 'client authentication required: HTTP Basic, or client_id and client_secret in the body');
  }
  const grantType = form.get('grant_type');
  if (grantType === undefined) throw new BridgeError('INVALID_SYNTAX', 'grant_type is missing: send grant_type=client_credentials');
  if (grantType !== 'client_credentials') throw new BridgeError('UNSUPPORTED_GRANT_TYPE', 'only grant_type=client_credentials is supported');
  const scope = form.get('scope');
  if (scope !== undefined && !scopePattern.test(scope)) throw new BridgeError('INVALID_SCOPE', 'scope is not a list of scope tokens (RFC 6749 §3.3)');
  if (!options.accessTokens) throw new BridgeError('INTERNAL', 'the token endpoint has OAuth clients but no signing key');
  const { token, expiresIn } = await options.accessTokens.issue(connection, client.clientId, client.tokenTtlSeconds);
  (fallbackLogOf(req)).info('access token issued', { connection, clientId: client.clientId, expiresIn });
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  // The token opens the whole connection, so any requested scope is granted as asked (§3.3).
  res.status(200).json({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, ...(scope !== undefined ? { scope } : {}) });
}

/** The form parameters, each present at most once (RFC 6749 §3.1, §3.2). */
function formOf(body: unknown): Map<string, string> {
  const form = new Map<string, string>();
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new BridgeError('INVALID_SYNTAX', `parameter ${key.slice(0, 40)} is repeated`);
    // A parameter sent without a value is treated as omitted (§3.1).
    if (value !== '') form.set(key, value);
  }
  return form;
}

/** A client id and secret as presented; each may have two readings (form-decoded or as sent). */
type Presented = { clientId: string; secret: string }[];

/** The credentials presented by HTTP Basic or in the body; null when none; throws for both at once or a broken header. */
function presentedClient(authorization: string | undefined, form: ReadonlyMap<string, string>): Presented | null {
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  if (authorization === undefined) return bodyId !== undefined && bodySecret !== undefined ? [{ clientId: bodyId, secret: bodySecret }] : null;
  if (bodySecret !== undefined) throw new BridgeError('INVALID_SYNTAX', 'use one client authentication method: HTTP Basic or client_secret in the body, not both (RFC 6749 §2.3)');
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization.trim());
  if (!match) throw new BridgeError('UNAUTHORIZED', 'client authentication must use HTTP Basic (or client_id and client_secret in the body)');
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new BridgeError('UNAUTHORIZED', 'the Basic credentials have no ":" between client id and secret');
  const raw = { clientId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  // §2.3.1: both parts are form-encoded before Basic; many clients skip that, so both readings count.
  const readings = [raw, { clientId: formDecode(raw.clientId), secret: formDecode(raw.secret) }];
  if (bodyId !== undefined && !readings.some((r) => r.clientId === bodyId)) throw new BridgeError('INVALID_SYNTAX', 'client_id in the body differs from the client in the Authorization header');
  return readings;
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

type ClientVerifier = (presented: Presented) => OAuthClientConfig | null;

/** Compares presented credentials with every client of a connection, in constant time, without an early exit. */
function clientVerifier(clients: readonly OAuthClientConfig[]): ClientVerifier {
  const expected = clients.map((client) => ({ client, digest: digest(client.clientId, client.clientSecret) }));
  return (presented) => {
    let found: OAuthClientConfig | null = null;
    for (const reading of presented) {
      const given = digest(reading.clientId, reading.secret);
      for (const candidate of expected) if (timingSafeEqual(candidate.digest, given) && found === null) found = candidate.client;
    }
    return found;
  };
}
