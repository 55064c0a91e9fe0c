import { z } from 'zod';

/**
 * Shapes of the Redis Enterprise Software REST API (`/v1/users`, `/v1/roles`) and of the
 * connection's `target` block. Sources: the redis.io REST API reference (users requests as of v7.22), the redisctl fixture.
 */

/** The management roles a `role` field accepts (redis.io user object and redis.io roles and permissions: `user_manager` is a management role too). */
export const redisEnterpriseManagementRoles = ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager', 'none'] as const;
/** A management role. */
export type RedisEnterpriseManagementRole = (typeof redisEnterpriseManagementRoles)[number];

/** A user as `GET /v1/users` returns it (unknown extra fields are dropped). */
export const redisEnterpriseUserSchema = z.object({
  uid: z.number().int(),
  email: z.string(),
  name: z.string().optional(),
  // The docs mark `role` as always present; the connector copes if a cluster leaves it out.
  role: z.string().optional(),
  role_uids: z.array(z.number().int()).optional(),
  status: z.string().optional(),
  auth_method: z.string().optional(),
  certificate_subject_line: z.string().optional(),
  email_alerts: z.boolean().optional(),
  bdbs_email_alerts: z.array(z.string()).optional(),
  cluster_email_alerts: z.boolean().optional(),
  password_issue_date: z.string().optional(),
});
/** A Redis Enterprise user. */
export type RedisEnterpriseUser = z.infer<typeof redisEnterpriseUserSchema>;

/** `GET /v1/users`: a bare array, no paging (redis.io users requests). */
export const redisEnterpriseUserListSchema = z.array(redisEnterpriseUserSchema);

/** A role object (redis.io roles and permissions, `…/objects/role.md`). */
export const redisEnterpriseRoleSchema = z.object({
  uid: z.number().int(),
  name: z.string(),
  management: z.string(),
  account_id: z.number().int().optional(),
  action_uid: z.string().optional(),
  resources: z.array(z.object({ type: z.string(), uids: z.array(z.string()) })).optional(),
});
/** A Redis Enterprise role. */
export type RedisEnterpriseRole = z.infer<typeof redisEnterpriseRoleSchema>;

/** `GET /v1/roles`. */
export const redisEnterpriseRoleListSchema = z.array(redisEnterpriseRoleSchema);

/** The body of `POST /v1/users`; required fields are checked by the simulator so it can answer `missing_field`. */
export const redisEnterpriseUserWriteSchema = z.strictObject({
  email: z.string().optional(),
  password: z.string().optional(),
  name: z.string().optional(),
  role: z.string().optional(),
  role_uids: z.array(z.number().int()).optional(),
  email_alerts: z.boolean().optional(),
  bdbs_email_alerts: z.array(z.string()).optional(),
  cluster_email_alerts: z.boolean().optional(),
  // The v7.22 users-requests page lists `external`; the REST docs list only `regular` (deprecated in 7.2) and
  // certificate users use `certificate` (docs/simulators/redis-enterprise.md): accept all three.
  auth_method: z.enum(['regular', 'certificate', 'external']).optional(),
  certificate_subject_line: z.string().optional(),
  // A pre-hashed password comes with password_hash_method "1" (redis.io user object).
  password_hash_method: z.literal('1').optional(),
});
/** A user write (POST body, or a PUT's partial object). */
export type RedisEnterpriseUserWrite = z.infer<typeof redisEnterpriseUserWriteSchema>;

/** The documented error body: `{error_code, message}` (users/_index.md). */
export const redisEnterpriseErrorSchema = z.object({ error_code: z.string(), message: z.string().optional() });
/** A Redis Enterprise error body. */
export type RedisEnterpriseError = z.infer<typeof redisEnterpriseErrorSchema>;

/** The exact message of the `ca` / `insecureSkipVerify` exclusion. */
export const caConflictMessage =
  'target.ca and target.insecureSkipVerify: true are mutually exclusive: trust the cluster certificate with ca, or skip verification with insecureSkipVerify, not both';

/** `connections.<name>.target` for a redis-enterprise connection. */
export const redisEnterpriseTargetSchema = z
  .object({
    /** `https://<cluster-fqdn>:9443` (redis.io REST API overview); requests go to `<url>/v1/...`. */
    url: z.url({ protocol: /^https?$/ }),
    /** The email of the cluster user the bridge signs in as (HTTP Basic). */
    username: z.string().min(1),
    password: z.string().min(1),
    /** A PEM file path, or inline PEM text, of the CA that signed the cluster's certificate. */
    ca: z.string().min(1).optional(),
    /** Skip certificate verification (the cluster's default certificate is self-signed). */
    insecureSkipVerify: z.boolean().optional(),
  })
  .refine((target) => !(target.ca !== undefined && target.insecureSkipVerify === true), {
    message: caConflictMessage,
    path: ['insecureSkipVerify'],
  });
/** A redis-enterprise connection's target config. */
export type RedisEnterpriseTarget = z.infer<typeof redisEnterpriseTargetSchema>;
