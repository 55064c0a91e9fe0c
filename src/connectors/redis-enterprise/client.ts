import { readFileSync } from 'node:fs';
import { BridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import { createTargetHttpClient, describeBody, type ErrorClassifier } from '../http-client.js';
import {
  redisEnterpriseErrorSchema,
  redisEnterpriseRoleListSchema,
  redisEnterpriseRoleSchema,
  redisEnterpriseUserListSchema,
  redisEnterpriseUserSchema,
  type RedisEnterpriseRole,
  type RedisEnterpriseTarget,
  type RedisEnterpriseUser,
  type RedisEnterpriseUserWrite,
} from './schemas.js';

/** One thin function per Redis Enterprise endpoint the connector uses. */
export interface RedisEnterpriseClient {
  listUsers(signal?: AbortSignal): Promise<RedisEnterpriseUser[]>;
  getUser(uid: number, signal?: AbortSignal): Promise<RedisEnterpriseUser>;
  createUser(body: RedisEnterpriseUserWrite, signal?: AbortSignal): Promise<RedisEnterpriseUser>;
  updateUser(uid: number, body: RedisEnterpriseUserWrite, signal?: AbortSignal): Promise<RedisEnterpriseUser>;
  deleteUser(uid: number, signal?: AbortSignal): Promise<void>;
  listRoles(signal?: AbortSignal): Promise<RedisEnterpriseRole[]>;
  getRole(uid: number, signal?: AbortSignal): Promise<RedisEnterpriseRole>;
  close(): Promise<void>;
}

/** The target's `error_code`, when an error carries one. */
export function targetErrorCode(error: unknown): string | undefined {
  if (!(error instanceof BridgeError)) return undefined;
  const code = error.details.targetError;
  return typeof code === 'string' ? code : undefined;
}

/** Maps the documented `error_code` values whose HTTP status alone would mislead. */
export const classifyRedisEnterpriseError: ErrorClassifier = (status, body, route) => {
  const parsed = redisEnterpriseErrorSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const details = { status, route, ...describeBody(body) };
  switch (parsed.data.error_code) {
    case 'change_last_admin_role_not_allowed':
      return new BridgeError('PROTECTED_ACCOUNT', 'the cluster refuses: at least one user with the admin role must exist', { details });
    case 'email_already_exists':
      return new BridgeError('TARGET_CONFLICT', 'a cluster user with this email already exists', { details });
    // Names are unique on POST (redis.io users requests): not an email conflict, so not something to adopt.
    case 'name_already_exists':
      return new BridgeError('TARGET_REJECTED', 'a cluster user with this name already exists', { details });
    case 'password_not_complex':
      return new BridgeError('TARGET_REJECTED', 'the cluster found the password not complex enough', { details });
    default:
      return undefined;
  }
};

/** Reads `target.ca`: inline PEM text, or the path of a PEM file. */
export function loadCa(ca: string): string {
  if (ca.trimStart().startsWith('-----BEGIN')) return ca;
  try {
    return readFileSync(ca, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    throw new BridgeError('CONFIG_INVALID', `cannot read target.ca file ${ca} (${reason})`, { cause: err, details: { path: ca, reason } });
  }
}

/** Builds the client on the shared HTTP client: Basic auth, the cluster's CA or no verification. */
export function createRedisEnterpriseClient(target: RedisEnterpriseTarget, deps: ConnectorDeps): RedisEnterpriseClient {
  const basic = Buffer.from(`${target.username}:${target.password}`).toString('base64');
  const tls =
    target.ca !== undefined ? { ca: loadCa(target.ca) }
    : target.insecureSkipVerify === true ? { rejectUnauthorized: false }
    : undefined;
  const http = createTargetHttpClient({
    baseUrl: target.url,
    headers: { authorization: `Basic ${basic}` },
    ...deps,
    classify: classifyRedisEnterpriseError,
    tlsHint: 'set target.ca to the cluster CA file, or target.insecureSkipVerify: true',
    ...(tls ? { tls } : {}),
  });
  const withSignal = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal ? { signal } : {});
  const userRoute = '/v1/users/{uid}';

  return {
    listUsers: async (signal) =>
      (await http.request({ method: 'GET', route: '/v1/users', schema: redisEnterpriseUserListSchema, ...withSignal(signal) })).body,
    getUser: async (uid, signal) =>
      (await http.request({ method: 'GET', route: userRoute, path: `/v1/users/${uid}`, schema: redisEnterpriseUserSchema, ...withSignal(signal) })).body,
    createUser: async (body, signal) =>
      (await http.request({ method: 'POST', route: '/v1/users', body, schema: redisEnterpriseUserSchema, ...withSignal(signal) })).body,
    updateUser: async (uid, body, signal) =>
      (await http.request({ method: 'PUT', route: userRoute, path: `/v1/users/${uid}`, body, schema: redisEnterpriseUserSchema, ...withSignal(signal) })).body,
    deleteUser: async (uid, signal) => {
      await http.request({ method: 'DELETE', route: userRoute, path: `/v1/users/${uid}`, ...withSignal(signal) });
    },
    listRoles: async (signal) =>
      (await http.request({ method: 'GET', route: '/v1/roles', schema: redisEnterpriseRoleListSchema, ...withSignal(signal) })).body,
    getRole: async (uid, signal) =>
      (await http.request({ method: 'GET', route: '/v1/roles/{uid}', path: `/v1/roles/${uid}`, schema: redisEnterpriseRoleSchema, ...withSignal(signal) })).body,
    close: () => http.close(),
  };
}
