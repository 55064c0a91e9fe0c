import { z } from 'zod';
import { redisEnterpriseManagementRoles, type RedisEnterpriseRole } from './schemas.js';

/** The built-in roles of `GET /v1/roles` (the example of redis.io roles requests). */
export const builtInRoles: readonly RedisEnterpriseRole[] = [
  { uid: 1, name: 'Admin', management: 'admin' },
  { uid: 2, name: 'Cluster Member', management: 'cluster_member' },
  { uid: 3, name: 'Cluster Viewer', management: 'cluster_viewer' },
  { uid: 4, name: 'DB Member', management: 'db_member' },
  { uid: 5, name: 'DB Viewer', management: 'db_viewer' },
  { uid: 6, name: 'None', management: 'none' },
];

/** One user of a `/_sim/seed` body: role defaults to `db_viewer` (the documented default), password to `sandbox`. */
export const redisEnterpriseSeedUserSchema = z.strictObject({
  uid: z.number().int().positive().optional(),
  email: z.string().min(3),
  name: z.string().optional(),
  role: z.enum(redisEnterpriseManagementRoles).optional(),
  role_uids: z.array(z.number().int()).optional(),
  password: z.string().min(1).optional(),
  status: z.enum(['active', 'locked']).optional(),
});
/** A seeded user. */
export type RedisEnterpriseSeedUser = z.infer<typeof redisEnterpriseSeedUserSchema>;

/** The `/_sim/seed` body: custom roles first (so users can refer to them), then users. */
export const redisEnterpriseSeedSchema = z.strictObject({
  roles: z
    .array(z.strictObject({ uid: z.number().int().positive().optional(), name: z.string().min(1), management: z.enum(redisEnterpriseManagementRoles) }))
    .optional(),
  users: z.array(redisEnterpriseSeedUserSchema).optional(),
});
/** A seed body. */
export type RedisEnterpriseSeed = z.infer<typeof redisEnterpriseSeedSchema>;

/** Parses a seed body; the message of a bad one names the first problem (the kit answers 400 with it). */
export function parseSeed(body: unknown): RedisEnterpriseSeed {
  const parsed = redisEnterpriseSeedSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`invalid seed: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
}
