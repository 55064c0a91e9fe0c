import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
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

/** What one SCIM path answers: the resource id is the path's second segment (`/Users/<id>`), when it has one. */
type Operation = (scope: ScimScope, req: Request, id: string) => Promise<ScimResult> | ScimResult;

/** The operations of one path shape by method; `any` answers the methods not listed (HEAD is GET's). */
type Endpoint = Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'any', Operation>>;

/** The endpoints of a connection, by the path after `/scim/v2/<connection>`, lowercased (paths match case-insensitively). */
interface Endpoints {
  /** `/<name>`: a resource type's collection, a discovery endpoint, or `/.search`. */
  collections: ReadonlyMap<string, Endpoint>;
  /** `/<name>/<id>`: one resource. */
  items: ReadonlyMap<string, Endpoint>;
  /** `/<name>/.search` (POST only; another method reads `.search` as an id, as it always has). */
  searches: ReadonlyMap<string, Operation>;
}

/**
 * Builds the SCIM handler, to mount at `/scim` (it answers `/scim/v2/...` and passes anything else on). It matches paths itself, by one split and
 * map lookups, instead of an express Router of 25 layers each matched by a regular expression in
 * turn (about a tenth of a filtered read's CPU). The matching is express's: case-insensitive,
 * one optional trailing slash, each segment percent-decoded, HEAD answered as GET.
 */
export function createScimRouter(options: ScimRouterOptions): RequestHandler {
  // Per-schema work happens here, at start, never in a request.
  prepareSchemas();
  const parseJson = express.json({ type: scimTypes, limit: options.bodyLimit, strict: true });
  const endpoints = scimEndpoints();
  return (req, res, next) => {
    // req.path: the pathname alone, also of a request target in absolute form (http://host/scim/v2/...).
    const path = pathOf(req.path);
    if (path === null) return next();
    const segments = path.split('/');
    if (segments.length > 1 && segments.at(-1) === '') segments.pop();
    const connection = segments[0] as string;
    // `/scim/v2//Users`: an empty segment names no connection, so the path is outside every connection (the app's 404).
    if (connection === '') return next();
    const rest = segments.slice(1);
    void authenticate(options, req, connection, (authError?: unknown) => {
      if (authError !== undefined) return next(authError);
      const parsed = (parseError?: unknown): void => {
        const problem = parseError ?? inputProblem(req);
        if (problem !== undefined) return next(problem);
        void dispatch(endpoints, rest, req, res).catch(next);
      };
      // A request without a body (every GET and DELETE) skips the parser, which would only find that out.
      if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
        req.body = undefined;
        parsed();
      } else {
        parseJson(req, res, parsed);
      }
    });
  };
}

/**
 * The path below `/scim/v2/` (the handler is mounted at `/scim`), or null for another path under
 * `/scim` and for `/scim/v2` itself (both the app's 404). `v2` matches in any case, as express's
 * mount did.
 */
function pathOf(path: string): string | null {
  if (path.length < 5 || path[3] !== '/' || path.slice(0, 3).toLowerCase() !== '/v2') return null;
  return path.slice(4);
}

/** One percent-decoded path segment; a malformed escape is the client's error. */
function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BridgeError('INVALID_SYNTAX', 'the request path holds a malformed percent-encoding');
  }
}

async function dispatch(endpoints: Endpoints, rest: string[], req: Request, res: Response): Promise<void> {
  const scope = (req as ScimRequest).scim.scope;
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const [name, id, ...deeper] = rest;
  // Decoded before the endpoint is looked up: a malformed escape is the client's error whatever the method.
  const decodedId = id === undefined || deeper.length > 0 ? '' : decodeSegment(id);
  let operation: Operation | undefined;
  if (name !== undefined && name !== '' && deeper.length === 0) {
    const key = name.toLowerCase();
    if (id === undefined) operation = operationOf(endpoints.collections.get(key), method);
    else if (id !== '') {
      operation = method === 'POST' && id.toLowerCase() === '.search' ? endpoints.searches.get(key) : undefined;
      operation ??= operationOf(endpoints.items.get(key), method);
    }
  }
  if (operation === undefined) throw new BridgeError('NOT_FOUND', 'no such SCIM endpoint');
  send(req, res, await operation(scope, req, id === undefined ? '' : resourceId(decodedId)));
}

function operationOf(endpoint: Endpoint | undefined, method: string): Operation | undefined {
  if (endpoint === undefined) return undefined;
  return endpoint[method as keyof Endpoint] ?? endpoint.any;
}

function resourceId(value: string): string {
  // No resource has such an id, and PostgreSQL would refuse it as a parameter.
  if (!isStorableText(value)) throw new BridgeError('NOT_FOUND', 'no resource has this id');
  return value;
}

/** Every SCIM endpoint of a connection. */
function scimEndpoints(): Endpoints {
  const ifMatch = (req: Request): string | undefined => req.header('if-match');
  const connectionOf = (req: Request): ScimConnection => (req as ScimRequest).scim.connection;
  const hasRoles = (req: Request): boolean => connectionOf(req).roles !== undefined;
  const rolesOf = (req: Request): RoleSource => {
    const source = connectionOf(req).roles;
    if (!source) throw new BridgeError('NOT_FOUND', "this connection's target has no roles to publish");
    return source;
  };
  const refuseRoles: Operation = (_s, req) => {
    (req.res as Response).setHeader('Allow', 'GET');
    rolesOf(req);
    return refuseRoleWrite();
  };
  const bulk: Operation = () => {
    throw new BridgeError('NOT_IMPLEMENTED', 'Bulk is not supported (see /ServiceProviderConfig)');
  };
  const collections = new Map<string, Endpoint>([
    // RFC 7644 §3.4.3: POST .search takes the GET parameters in a SearchRequest body.
    ['.search', { POST: (s, req) => searchAll(s, req.body) }],
    ['users', { GET: (s, req) => users.listUsers(s, queryOf(req)), POST: (s, req) => users.createUser(s, req.body) }],
    ['groups', { GET: (s, req) => groups.listGroups(s, queryOf(req)), POST: (s, req) => groups.createGroup(s, req.body) }],
    ['roles', { GET: (s, req) => listRoles(s, rolesOf(req), queryOf(req)), any: refuseRoles }],
    ['serviceproviderconfig', { GET: (s, req) => ok(serviceProviderConfig(s.basepath, authSchemesOf(s, connectionOf(req)))) }],
    ['resourcetypes', { GET: (s, req) => ok(listOf(resourceTypes(s.basepath, hasRoles(req)))) }],
    ['schemas', { GET: (s, req) => ok(listOf(schemas(s.basepath, hasRoles(req)))) }],
    ['bulk', { any: bulk }],
  ]);
  const items = new Map<string, Endpoint>([
    ['users', {
      GET: (s, req, id) => users.getUser(s, id, queryOf(req)),
      PUT: (s, req, id) => users.replaceUser(s, id, req.body, ifMatch(req)),
      PATCH: (s, req, id) => users.patchUser(s, id, req.body, ifMatch(req)),
      DELETE: (s, req, id) => users.deleteUser(s, id, ifMatch(req)),
    }],
    ['groups', {
      GET: (s, req, id) => groups.getGroup(s, id, queryOf(req)),
      PUT: (s, req, id) => groups.replaceGroup(s, id, req.body, ifMatch(req)),
      PATCH: (s, req, id) => groups.patchGroup(s, id, req.body, ifMatch(req)),
      DELETE: (s, req, id) => groups.deleteGroup(s, id, ifMatch(req)),
    }],
    ['roles', { GET: (s, req, id) => getRole(s, rolesOf(req), id, queryOf(req)), any: refuseRoles }],
    ['resourcetypes', { GET: (s, req, id) => ok(findById(resourceTypes(s.basepath, hasRoles(req)), id, 'ResourceType')) }],
    ['schemas', { GET: (s, req, id) => ok(findById(schemas(s.basepath, hasRoles(req)), id, 'Schema')) }],
  ]);
  const searches = new Map<string, Operation>([
    ['users', (s, req) => users.listUsers(s, searchParams(req.body))],
    ['groups', (s, req) => groups.listGroups(s, searchParams(req.body))],
  ]);
  return { collections, items, searches };
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
async function authenticate(options: ScimRouterOptions, req: Request, segment: string, next: NextFunction): Promise<void> {
  const context = contextOf(req);
  try {
    const name = decodeSegment(segment);
    const connection = options.connections.get(name);
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

function send(req: Request, res: Response, result: ScimResult): void {
  if (result.etag) res.setHeader('ETag', result.etag);
  if (result.location && result.status === 201) res.setHeader('Location', result.location);
  if (result.body === undefined) {
    res.status(result.status).end();
    return;
  }
  const text = JSON.stringify(result.body);
  // A conditional request goes through express, which answers 304 when the client's copy is fresh (RFC 9110 §13.1.2).
  if (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) {
    res.status(result.status).type('application/scim+json').send(text);
    return;
  }
  // What express's send writes for a string body, without its per-response header parsing.
  res.statusCode = result.status;
  res.setHeader('Content-Type', 'application/scim+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
