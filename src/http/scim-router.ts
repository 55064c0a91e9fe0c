import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { BridgeError } from '../errors.js';
import { findById, listOf, resourceTypes, schemas, serviceProviderConfig, type AuthSchemes } from '../scim/discovery.js';
import * as groups from '../scim/groups.js';
import { searchAll } from '../scim/search-all.js';
import { searchParams } from '../scim/search.js';
import { isStorableText } from '../filter/index.js';
import { findJsonProblem } from '../scim/json.js';
import { prepareSchemas } from '../scim/schemas.js';
import type { Directory, ScimResult, ScimScope } from '../scim/scope.js';
import * as users from '../scim/users.js';
import { getRole, listRoles, refuseRoleWrite, type RoleSource } from '../scim/roles.js';
import type { Authenticator } from './auth.js';
import type { AuthFailureLimiter } from './auth-failures.js';
import type { RateLimiter } from './rate-limit.js';
import { contextOf, setScimConnection } from './request-context.js';

/**
 * `/scim/v2/<connection>/...`: one router for every connection; each request resolves its own
 * connection, credentials, directory and basepath, so nothing is shared between connections.
 * Every route ends in `next(err)`; the app's one error middleware answers.
 */

/** What the router needs of one connection. */
export interface ScimConnection {
  name: string;
  authenticator: Authenticator;
  directory: Directory;
  /** The target's roles, when it has some to publish (`/Roles`); absent for a target without roles. */
  roles?: RoleSource;
}

/** Options of {@link createScimRouter}. */
export interface ScimRouterOptions {
  connections: ReadonlyMap<string, ScimConnection>;
  /** Base for meta.location; otherwise the request's own scheme and host. */
  publicUrl?: string;
  bodyLimit: string;
  /** Requests per authenticated client. */
  limiter: RateLimiter;
  /** Failed authentications per connection and client address (slows down token guessing). */
  authFailures: AuthFailureLimiter;
}

interface ScimRequest extends Request {
  /** `query` is parsed once here: express parses the query string again on every read of `req.query`. */
  scim: { connection: ScimConnection; scope: ScimScope; query: Record<string, unknown> };
}

const queryOf = (req: Request): Record<string, unknown> => (req as ScimRequest).scim.query;

const scimTypes = ['application/scim+json', 'application/json', 'application/*+json'];

/** Builds the SCIM router, to mount at `/scim/v2`. */
export function createScimRouter(options: ScimRouterOptions): Router {
  const router = Router({ mergeParams: true });
  // Per-schema work happens here, at start, never in a request.
  prepareSchemas();
  const parseJson = express.json({ type: scimTypes, limit: options.bodyLimit, strict: true });
  // One layer for the three steps every request takes (each layer is a path match per request).
  router.use('/:connection', (req, res, next) => {
    void authenticate(options, req, (authError?: unknown) => {
      if (authError !== undefined) return next(authError);
      parseJson(req, res, (parseError?: unknown) => next(parseError ?? inputProblem(req)));
    });
  });
  const route = (fn: (scope: ScimScope, req: Request) => Promise<ScimResult> | ScimResult) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        send(res, await fn((req as ScimRequest).scim.scope, req));
      } catch (err) {
        next(err);
      }
    };
  const id = (req: Request): string => {
    const value = String(req.params.id);
    // No resource has such an id, and PostgreSQL would refuse it as a parameter.
    if (!isStorableText(value)) throw new BridgeError('NOT_FOUND', 'no resource has this id');
    return value;
  };
  const ifMatch = (req: Request): string | undefined => req.header('if-match');

  // RFC 7644 §3.4.3: POST .search takes the GET parameters in a SearchRequest body.
  router.post('/:connection/.search', route((s, req) => searchAll(s, req.body)));
  router.post('/:connection/Users/.search', route((s, req) => users.listUsers(s, searchParams(req.body))));
  router.post('/:connection/Groups/.search', route((s, req) => groups.listGroups(s, searchParams(req.body))));
  router.get('/:connection/Users', route((s, req) => users.listUsers(s, queryOf(req))));
  router.post('/:connection/Users', route((s, req) => users.createUser(s, req.body)));
  router.get('/:connection/Users/:id', route((s, req) => users.getUser(s, id(req), queryOf(req))));
  router.put('/:connection/Users/:id', route((s, req) => users.replaceUser(s, id(req), req.body, ifMatch(req))));
  router.patch('/:connection/Users/:id', route((s, req) => users.patchUser(s, id(req), req.body, ifMatch(req))));
  router.delete('/:connection/Users/:id', route((s, req) => users.deleteUser(s, id(req), ifMatch(req))));

  router.get('/:connection/Groups', route((s, req) => groups.listGroups(s, queryOf(req))));
  router.post('/:connection/Groups', route((s, req) => groups.createGroup(s, req.body)));
  router.get('/:connection/Groups/:id', route((s, req) => groups.getGroup(s, id(req), queryOf(req))));
  router.put('/:connection/Groups/:id', route((s, req) => groups.replaceGroup(s, id(req), req.body, ifMatch(req))));
  router.patch('/:connection/Groups/:id', route((s, req) => groups.patchGroup(s, id(req), req.body, ifMatch(req))));
  router.delete('/:connection/Groups/:id', route((s, req) => groups.deleteGroup(s, id(req), ifMatch(req))));

  const rolesOf = (req: Request): RoleSource => {
    const source = (req as ScimRequest).scim.connection.roles;
    if (!source) throw new BridgeError('NOT_FOUND', "this connection's target has no roles to publish");
    return source;
  };
  router.get('/:connection/Roles', route((s, req) => listRoles(s, rolesOf(req), req.query)));
  router.get('/:connection/Roles/:id', route((s, req) => getRole(s, rolesOf(req), id(req), req.query)));
  router.all(['/:connection/Roles', '/:connection/Roles/:id'], (req, res, next) => {
    res.setHeader('Allow', 'GET');
    route(() => {
      rolesOf(req);
      return refuseRoleWrite();
    })(req, res, next);
  });

  router.get('/:connection/ServiceProviderConfig', route((s, req) => ok(serviceProviderConfig(s.basepath, authSchemesOf(s, (req as ScimRequest).scim.connection)))));
  const hasRoles = (req: Request): boolean => (req as ScimRequest).scim.connection.roles !== undefined;
  router.get('/:connection/ResourceTypes', route((s, req) => ok(listOf(resourceTypes(s.basepath, hasRoles(req))))));
  router.get('/:connection/ResourceTypes/:id', route((s, req) => ok(findById(resourceTypes(s.basepath, hasRoles(req)), id(req), 'ResourceType'))));
  router.get('/:connection/Schemas', route((s, req) => ok(listOf(schemas(s.basepath, hasRoles(req))))));
  router.get('/:connection/Schemas/:id', route((s, req) => ok(findById(schemas(s.basepath, hasRoles(req)), id(req), 'Schema'))));
  router.all('/:connection/Bulk', route(() => {
    throw new BridgeError('NOT_IMPLEMENTED', 'Bulk is not supported (see /ServiceProviderConfig)');
  }));
  router.use('/:connection', route(() => {
    throw new BridgeError('NOT_FOUND', 'no such SCIM endpoint');
  }));
  return router;
}

const ok = (body: Record<string, unknown>): ScimResult => ({ status: 200, body });

/** The connection's schemes; the token endpoint sits beside `/scim/v2` (src/http/app.ts mounts it at `/oauth`). */
function authSchemesOf(scope: ScimScope, connection: ScimConnection): AuthSchemes {
  const { bearer, basic, oauth } = connection.authenticator.schemes;
  const base = scope.basepath.slice(0, scope.basepath.length - `/scim/v2/${scope.connection}`.length);
  return { bearer, basic, ...(oauth ? { oauthTokenEndpoint: `${base}/oauth/${scope.connection}/token` } : {}) };
}

/** Refuses a body or query that nests too deep or holds text no database can store as sent (docs/architecture.md, promise 7). */
function inputProblem(req: Request): BridgeError | undefined {
  for (const [what, value] of [['body', req.body as unknown], ['query', queryOf(req) as unknown]] as const) {
    const problem = findJsonProblem(value);
    if (problem?.kind === 'depth') return new BridgeError('INVALID_SYNTAX', `the request ${what} nests too deep`);
    if (problem) return new BridgeError('INVALID_VALUE', `the request ${what} holds a NUL character or a lone surrogate at ${problem.at.slice(0, 100)}`);
  }
  return undefined;
}

/**
 * Checks the credentials first, in constant time, whatever the source has done: valid
 * credentials are never refused because someone else failed. A failure is counted against its
 * own source only (this connection, this client address), which gets 429 once braked.
 */
async function authenticate(options: ScimRouterOptions, req: Request, next: NextFunction): Promise<void> {
  const name = String(req.params.connection);
  const connection = options.connections.get(name);
  const context = contextOf(req);
  try {
    if (!connection) throw new BridgeError('NOT_FOUND', `no connection named "${name.slice(0, 64)}"`);
    setScimConnection(req, name);
    const client = await credentialsOf(options, connection, req);
    options.limiter.take(`${name}:${client}`);
    const base = options.publicUrl?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    (req as ScimRequest).scim = {
      connection,
      query: req.query as Record<string, unknown>,
      scope: { connection: name, directory: connection.directory, basepath: `${base}/scim/v2/${name}`, requestId: context.requestId },
    };
    next();
  } catch (err) {
    next(err);
  }
}

/** The authenticated client's key, or the error to answer (401, or 429 for a braked source). */
async function credentialsOf(options: ScimRouterOptions, connection: ScimConnection, req: Request): Promise<string> {
  try {
    return await connection.authenticator.authenticate(req.header('authorization'));
  } catch (err) {
    if (!(err instanceof BridgeError) || err.code !== 'UNAUTHORIZED') throw err;
    const waitMs = await options.authFailures.recordFailure({ connection: connection.name, client: req.ip ?? req.socket.remoteAddress ?? 'unknown' });
    if (waitMs !== null) throw new BridgeError('RATE_LIMITED', 'too many failed authentications from this address; retry later', { retryAfterMs: waitMs });
    throw err;
  }
}

function send(res: Response, result: ScimResult): void {
  if (result.etag) res.setHeader('ETag', result.etag);
  if (result.location && result.status === 201) res.setHeader('Location', result.location);
  if (result.body === undefined) {
    res.status(result.status).end();
    return;
  }
  res.status(result.status).type('application/scim+json').send(JSON.stringify(result.body));
}
