import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { RedisEnterpriseUser } from './schemas.js';
import { RedisEnterpriseSimError } from './simulator-records.js';
import type { RedisEnterpriseSimState } from './simulator-state.js';

/**
 * The REST routes of the Redis Enterprise simulator: HTTP Basic auth on every `/v1` call, the
 * management-role permissions (redis.io permissions) and `{error_code, message}` errors.
 */

// Reading every user needs view_all_users_info: admin and user_manager hold it (redis.io roles and permissions);
// cluster_member and cluster_viewer "view cluster info" and are given it too [inferred].
const viewers = new Set(['admin', 'user_manager', 'cluster_member', 'cluster_viewer']);
// "Only admin and user_manager can create, update or delete users" (redis.io roles and permissions).
const managers = new Set(['admin', 'user_manager']);
// "Any user can change their own name, password, or alert preferences" (redis.io users requests, Update user).
const selfFields = new Set(['name', 'password', 'password_hash_method', 'email_alerts', 'bdbs_email_alerts', 'cluster_email_alerts']);

/** Mounts `/v1/users`, `/v1/roles` and `PUT /v1/cluster` on the app, then the 404 and error handlers. */
export function mountClusterApi(app: Express, state: RedisEnterpriseSimState): void {
  const callers = new WeakMap<Request, RedisEnterpriseUser>();
  const callerUid = (req: Request): number => callers.get(req)?.uid ?? -1;
  const holds = (req: Request, roles: Set<string>): boolean => [...state.managementsOf(callerUid(req))].some((m) => roles.has(m));
  const only = (roles: Set<string>) => (req: Request, _res: Response, next: NextFunction): void => {
    if (!holds(req, roles)) throw forbidden();
    next();
  };
  const jsonBody = [requireJsonContentType, express.json({ limit: '1mb' })];
  const dryRun = (req: Request): boolean => req.query.dry_run !== undefined;

  app.use('/v1', (req, res, next) => {
    const user = authenticate(state, req.headers.authorization);
    if (!user) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Redis Enterprise"');
      throw new RedisEnterpriseSimError(401, 'unauthorized', 'Wrong or missing credentials');
    }
    callers.set(req, user);
    // Role `none`: "No REST API permissions" (permissions.md).
    if (![...state.managementsOf(user.uid)].some((m) => m !== 'none')) throw forbidden();
    next();
  });
  app.get('/v1/users', only(viewers), (_req, res) => void res.json(state.listUsers()));
  app.get('/v1/users/:uid', (req, res) => {
    const uid = uidParam(req);
    if (uid !== callerUid(req) && !holds(req, viewers)) throw forbidden();
    res.json(state.getUser(uid));
  });
  // 200, not 201, with the created user (redis.io users requests).
  app.post('/v1/users', only(managers), ...jsonBody, (req, res) => void res.status(200).json(state.createUser(req.body, dryRun(req))));
  app.put('/v1/users/:uid', ...jsonBody, (req, res) => {
    const uid = uidParam(req);
    const ownFieldsOnly = uid === callerUid(req) && Object.keys(asRecord(req.body)).every((key) => selfFields.has(key));
    if (!ownFieldsOnly && !holds(req, managers)) throw forbidden();
    res.json(state.updateUser(uid, req.body, dryRun(req)));
  });
  app.delete('/v1/users/:uid', only(managers), (req, res) => {
    state.deleteUser(uidParam(req), callerUid(req));
    res.status(200).end();
  });
  app.get('/v1/roles', only(viewers), (_req, res) => void res.json(state.listRoles()));
  // Creating a role needs create_role: admin and user_manager hold it (redis.io roles and permissions).
  app.post('/v1/roles', only(managers), ...jsonBody, (req, res) => void res.status(200).json(state.createRole(req.body)));
  app.get('/v1/roles/:uid', only(viewers), (req, res) => void res.json(state.getRole(uidParam(req, 'role_not_exist', 'Role does not exist'))));
  // `PUT /v1/cluster {"password_complexity": true}` turns complexity on (password-complexity-rules.md).
  app.put('/v1/cluster', only(new Set(['admin'])), ...jsonBody, (req, res) => void res.json(setPasswordPolicy(state, req.body)));
  app.use((_req: Request, res: Response) => void res.status(404).json({ error_code: 'not_found', message: 'Not found' }));
  app.use(errorHandler);
}

function authenticate(state: RedisEnterpriseSimState, header: string | undefined): RedisEnterpriseUser | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return state.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
}

// "Content-Type: application/json is required on PUT and POST; an invalid header gives 400" (redis.io REST API overview).
function requireJsonContentType(req: Request, _res: Response, next: NextFunction): void {
  if (!req.is('application/json')) throw new RedisEnterpriseSimError(400, 'invalid_header', 'Content-Type must be application/json');
  next();
}

function uidParam(req: Request, errorCode = 'user_not_exist', message = 'User does not exist'): number {
  const raw = typeof req.params.uid === 'string' ? req.params.uid : '';
  // The route is `/v1/users/{int: uid}`: anything else matches no user.
  if (!/^\d{1,9}$/.test(raw)) throw new RedisEnterpriseSimError(404, errorCode, message);
  return Number(raw);
}

function setPasswordPolicy(state: RedisEnterpriseSimState, body: unknown): { password_complexity: boolean; password_min_length: number } {
  const { password_complexity: complexity, password_min_length: minLength } = asRecord(body);
  if (complexity !== undefined && typeof complexity !== 'boolean') throw new RedisEnterpriseSimError(400, 'invalid_schema', 'password_complexity must be a boolean');
  const isLength = typeof minLength === 'number' && Number.isInteger(minLength) && minLength >= 8 && minLength <= 256;
  if (minLength !== undefined && !isLength) throw new RedisEnterpriseSimError(400, 'invalid_schema', 'password_min_length must be an integer from 8 to 256');
  if (typeof complexity === 'boolean') state.passwordComplexity = complexity;
  if (typeof minLength === 'number') state.passwordMinLength = minLength;
  return { password_complexity: state.passwordComplexity, password_min_length: state.passwordMinLength };
}

function asRecord(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function forbidden(): RedisEnterpriseSimError {
  return new RedisEnterpriseSimError(403, 'insufficient_permissions', 'The user is not allowed to perform this action');
}

function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (err instanceof RedisEnterpriseSimError) return void res.status(err.status).json({ error_code: err.errorCode, message: err.message });
  // body-parser errors carry a 4xx `status` and a `type` such as entity.parse.failed.
  const { status, type } = asRecord(err);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const isSyntax = type === 'entity.parse.failed';
    return void res.status(400).json({ error_code: isSyntax ? 'invalid_json' : 'bad_request', message: isSyntax ? 'The request body is not valid JSON' : 'Bad request' });
  }
  res.status(500).json({ error_code: 'internal_error', message: 'Internal error' });
}
