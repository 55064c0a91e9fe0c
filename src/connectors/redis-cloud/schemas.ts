import { z } from 'zod';

/** Redis Cloud account-user roles, spelled as the RC-OAS `AccountUserUpdateRequest.role` enum (Redis Cloud's OpenAPI document). */
export const redisCloudRoles = ['Owner', 'Member', 'Viewer', 'Logs Viewer (API use only)', 'Manager', 'Billing Admin'] as const;
/** One canonical Redis Cloud role. */
export type RedisCloudRole = (typeof redisCloudRoles)[number];

// The console and docs/architecture.md call it "Logs Viewer"; the API enum adds "(API use only)" (Redis Cloud's access-management docs, RC-OAS).
const roleAliases: Record<string, RedisCloudRole> = { 'logs viewer': 'Logs Viewer (API use only)' };

/**
 * The canonical role for any spelling, or undefined. The agent page (docs/simulators/redis-cloud.md) writes roles lowercase (`member`);
 * the RC-OAS enum is capitalised (`Member`): accept both, case-insensitively.
 */
export function canonicalRedisCloudRole(role: string): RedisCloudRole | undefined {
  const wanted = role.trim().toLowerCase();
  return redisCloudRoles.find((r) => r.toLowerCase() === wanted) ?? roleAliases[wanted];
}

/** `connections.<name>.target` of a Redis Cloud connection. */
export const redisCloudTargetSchema = z.object({
  /** API base including `/v1` (`https://api.redislabs.com/v1`). */
  url: z.url(),
  /** The account key, sent as `x-api-key`. */
  apiKey: z.string().min(1),
  /** The user secret key, sent as `x-api-secret-key`. */
  apiSecretKey: z.string().min(1),
  /** How long one call waits for its task to end before reporting TARGET_TASK_PENDING. Default 60 s. */
  taskTimeoutMs: z.number().int().positive().optional(),
});
/** A Redis Cloud connection's target config. */
export type RedisCloudTarget = z.infer<typeof redisCloudTargetSchema>;

/** RC-OAS `AccountUserOptions`. */
export const redisCloudUserOptionsSchema = z.object({
  billing: z.boolean(),
  emailAlerts: z.boolean(),
  operationalEmails: z.boolean(),
  mfaEnabled: z.boolean(),
});

/** RC-OAS `AccountUser`. Only id and email are relied upon; the rest may be absent (the RC-OAS example omits `signUp`). */
export const redisCloudAccountUserSchema = z.object({
  id: z.number().int(),
  name: z.string().optional(),
  email: z.string(),
  role: z.string().optional(),
  signUp: z.string().optional(),
  userType: z.string().optional(),
  hasApiKey: z.boolean().optional(),
  options: redisCloudUserOptionsSchema.partial().optional(),
});
/** One Redis Cloud account user. */
export type RedisCloudAccountUser = z.infer<typeof redisCloudAccountUserSchema>;

/** RC-OAS `AccountUsers`: the schema declares only `account`; the example carries `users` (Redis Cloud's OpenAPI document). */
export const redisCloudAccountUsersSchema = z.object({
  account: z.number().int().optional(),
  users: z.array(redisCloudAccountUserSchema).default([]),
});
/** The answer of `GET /users`. */
export type RedisCloudAccountUsers = z.infer<typeof redisCloudAccountUsersSchema>;

/** RC-OAS `AccountUserUpdateRequest` (`name` required; role optional). */
export const redisCloudUserUpdateRequestSchema = z.object({
  name: z.string(),
  role: z.string().optional(),
});
/** The body of `PUT /users/{userId}`. */
export type RedisCloudUserUpdateRequest = z.infer<typeof redisCloudUserUpdateRequestSchema>;

/** The agent page's `POST /users` invitation body (not in RC-OAS, docs/simulators/redis-cloud.md). */
export const redisCloudUserCreateRequestSchema = z.object({
  name: z.string(),
  email: z.string(),
  role: z.string(),
});
/** The body of the seed-000 `POST /users`. */
export type RedisCloudUserCreateRequest = z.infer<typeof redisCloudUserCreateRequestSchema>;

/** RC-OAS `TaskStateUpdate.status`. */
export const redisCloudTaskStatuses = ['initialized', 'received', 'processing-in-progress', 'processing-completed', 'processing-error'] as const;
/** One task status. */
export type RedisCloudTaskStatus = (typeof redisCloudTaskStatuses)[number];

/** RC-OAS `ProcessorResponse`; `error` is a string of a 536-value enum, kept open here. */
export const redisCloudProcessorResponseSchema = z.object({
  resourceId: z.number().int().optional(),
  additionalResourceId: z.number().int().optional(),
  resource: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
  additionalInfo: z.string().optional(),
});
/** A task's outcome. */
export type RedisCloudProcessorResponse = z.infer<typeof redisCloudProcessorResponseSchema>;

const linkSchema = z.object({ href: z.string(), title: z.string().optional(), type: z.string().optional() });

/** RC-OAS `TaskStateUpdate`, with the HAL `_links` object real answers carry (Redis Cloud's manage-tasks docs). */
export const redisCloudTaskSchema = z.object({
  taskId: z.string(),
  commandType: z.string().optional(),
  status: z.enum(redisCloudTaskStatuses),
  description: z.string().optional(),
  timestamp: z.string().optional(),
  response: redisCloudProcessorResponseSchema.optional(),
  _links: z.record(z.string(), linkSchema).optional(),
});
/** One Redis Cloud task. */
export type RedisCloudTask = z.infer<typeof redisCloudTaskSchema>;

/** RC-OAS `TasksStateUpdate`. */
export const redisCloudTasksSchema = z.object({ tasks: z.array(redisCloudTaskSchema) });

/** RC-OAS `RootAccount` as its example shows it (the schema itself declares only `links`). */
export const redisCloudRootAccountSchema = z.object({
  account: z.object({
    id: z.number().int(),
    name: z.string().optional(),
    key: z
      .object({
        name: z.string().optional(),
        accountId: z.number().int().optional(),
        owner: z.object({ name: z.string().optional(), email: z.string().optional() }).optional(),
        userAccountId: z.number().int().optional(),
      })
      .optional(),
  }),
});
/** The answer of `GET /`. */
export type RedisCloudRootAccount = z.infer<typeof redisCloudRootAccountSchema>;
