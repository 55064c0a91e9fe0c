import { BridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import { classifyStatus, createTargetHttpClient, type ErrorClassifier } from '../http-client.js';
import {
  redisCloudAccountUsersSchema,
  redisCloudAccountUserSchema,
  redisCloudRootAccountSchema,
  redisCloudTaskSchema,
  redisCloudTasksSchema,
  type RedisCloudAccountUser,
  type RedisCloudRootAccount,
  type RedisCloudTarget,
  type RedisCloudTask,
  type RedisCloudUserCreateRequest,
  type RedisCloudUserUpdateRequest,
} from './schemas.js';

/** One thin function per Redis Cloud endpoint the connector uses (paths relative to `target.url`, which ends in `/v1`). */
export interface RedisCloudClient {
  getAccount(signal?: AbortSignal): Promise<RedisCloudRootAccount>;
  listUsers(signal?: AbortSignal): Promise<RedisCloudAccountUser[]>;
  getUser(userId: number, signal?: AbortSignal): Promise<RedisCloudAccountUser>;
  /** The agent page's invitation; RC-OAS has no such operation (docs/simulators/redis-cloud.md). */
  createUser(body: RedisCloudUserCreateRequest, signal?: AbortSignal): Promise<RedisCloudTask>;
  updateUser(userId: number, body: RedisCloudUserUpdateRequest, signal?: AbortSignal): Promise<RedisCloudTask>;
  deleteUser(userId: number, signal?: AbortSignal): Promise<RedisCloudTask>;
  getTask(taskId: string, signal?: AbortSignal): Promise<RedisCloudTask>;
  listTasks(signal?: AbortSignal): Promise<RedisCloudTask[]>;
  close(): Promise<void>;
}

/** Builds the client for one Redis Cloud connection. */
export function createRedisCloudClient(target: RedisCloudTarget, deps: ConnectorDeps): RedisCloudClient {
  const http = createTargetHttpClient({
    baseUrl: target.url,
    headers: { 'x-api-key': target.apiKey, 'x-api-secret-key': target.apiSecretKey },
    ...deps,
    classify: classifyRedisCloudError,
  });
  const userPath = (userId: number): string => `/users/${encodeURIComponent(String(userId))}`;

  return {
    getAccount: async (signal) =>
      (await http.request({ method: 'GET', route: '/', schema: redisCloudRootAccountSchema, signal })).body,
    listUsers: async (signal) =>
      (await http.request({ method: 'GET', route: '/users', schema: redisCloudAccountUsersSchema, signal })).body.users,
    getUser: async (userId, signal) =>
      (await http.request({ method: 'GET', route: '/users/{userId}', path: userPath(userId), schema: redisCloudAccountUserSchema, signal })).body,
    createUser: async (body, signal) =>
      (await http.request({ method: 'POST', route: '/users', body, schema: redisCloudTaskSchema, signal })).body,
    // PUT and DELETE answer 200 in RC-OAS and 202 in the redisctl mocks (Redis Cloud's task docs): any 2xx is taken.
    updateUser: async (userId, body, signal) =>
      (await http.request({ method: 'PUT', route: '/users/{userId}', path: userPath(userId), body, schema: redisCloudTaskSchema, signal })).body,
    deleteUser: async (userId, signal) =>
      (await http.request({ method: 'DELETE', route: '/users/{userId}', path: userPath(userId), schema: redisCloudTaskSchema, signal })).body,
    getTask: async (taskId, signal) =>
      (await http.request({ method: 'GET', route: '/tasks/{taskId}', path: `/tasks/${encodeURIComponent(taskId)}`, schema: redisCloudTaskSchema, signal })).body,
    listTasks: async (signal) =>
      (await http.request({ method: 'GET', route: '/tasks', schema: redisCloudTasksSchema, signal })).body.tasks,
    close: () => http.close(),
  };
}

/**
 * RC-OAS documents no synchronous error body (a GAP). The redisctl mocks use
 * `{"error":"User not found"}`, which the shared default already reads; this also reads a nested
 * `{"error":{"type","description"}}` so a target error code is kept whichever shape comes back.
 */
export const classifyRedisCloudError: ErrorClassifier = (status, body, route) => {
  const nested = nestedError(body);
  if (!nested) return undefined;
  const base = classifyStatus(status, undefined, route);
  return new BridgeError(base.code, base.message, {
    details: {
      ...base.details,
      ...(nested.type !== undefined ? { targetError: nested.type } : {}),
      ...(nested.description !== undefined ? { targetMessage: nested.description.slice(0, 200) } : {}),
    },
  });
};

function nestedError(body: unknown): { type?: string; description?: string } | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const error = (body as Record<string, unknown>).error;
  if (error === null || typeof error !== 'object') return undefined;
  const record = error as Record<string, unknown>;
  return {
    ...(typeof record.type === 'string' ? { type: record.type } : {}),
    ...(typeof record.description === 'string' ? { description: record.description } : {}),
  };
}
