import { z } from 'zod';
import { connectorTypes } from '../connectors/types.js';
import { oauthClientsSchema, tokenSigningKeysSchema, trustProxySchema } from './auth-schema.js';
import { notifySchema } from './notify-schema.js';

/**
 * The bridge configuration (one YAML file). This shape is public: extend it, never rename.
 * Per-type `target` blocks are checked against each connector's own schema in load.ts.
 */

const url = (what: string) => z.string({ error: `expected ${what}` }).refine(isUrl, { error: `expected ${what}` });

function isUrl(value: string): boolean {
  try {
    const parsed = new URL(value);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

const secret = z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' });

/** SCIM credentials of one connection: bearer tokens (several, for rotation), optional HTTP Basic, optional OAuth 2.0 clients. */
export const scimAuthSchema = z
  .object({
    tokens: z.array(secret.min(12, { error: 'a SCIM token must be at least 12 characters' })).default([]),
    basic: z.object({ username: z.string().min(1), password: secret.min(12, { error: 'a Basic password must be at least 12 characters' }) }).strict().optional(),
    /** OAuth 2.0 client credentials (POST /oauth/<connection>/token); needs http.tokenSigningKey. */
    oauth: oauthClientsSchema.optional(),
  })
  .strict()
  .refine((auth) => auth.tokens.length > 0 || auth.basic !== undefined || auth.oauth !== undefined, { error: 'give at least one token (or basic credentials, or oauth clients)' });

/** Per-connection limits toward the target. */
export const targetLimitsSchema = z
  .object({
    /** Jobs converged at once for this connection. */
    concurrency: z.number().int().min(1).max(256).default(4),
    /** Target calls per second (token bucket); omit for no limit. */
    requestsPerSecond: z.number().positive().optional(),
    /** Per-attempt timeout of one target call. */
    timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    /** Retries of a transient failure inside one target call. */
    retries: z.number().int().min(0).max(10).default(3),
  })
  .strict();

const wholeMs = 'expected a whole number of milliseconds, like 60000 (1 min)';

/** Default of `sync.roleCacheMs`: how long a live role list stays fresh. */
export const defaultRoleCacheMs = 60_000;

/** Convergence settings of one connection. */
export const syncSettingsSchema = z
  .object({
    /** Stop retrying transient failures once a change is this old; the user is then `failed`. */
    maxRetryAgeMs: z.number().int().min(1_000).default(24 * 3600_000),
    /** A `failed` user is tried again by itself after this long (jittered ±10%), in case its cause was fixed. */
    failedRetryMs: z.number().int().min(1_000).default(6 * 3600_000),
    /** Eventual mode: how long a SCIM write waits for the first attempt before answering. */
    inlineWaitMs: z.number().int().min(0).max(30_000).default(2_000),
    /** Mass-deprovisioning guard: share of managed accounts one request or window may remove or demote. */
    guardShare: z.number().min(0).max(1).default(0.2),
    /** ...but never trip below this many accounts. */
    guardMinimum: z.number().int().min(1).default(10),
    /** Length of the guard's window. */
    guardWindowMs: z.number().int().min(1_000).default(5 * 60_000),
    /** How long a live role list (`/Roles`, `assigned` rules) is served from memory before a request refreshes it in the background. */
    roleCacheMs: z
      .number({ error: wholeMs })
      .int({ error: wholeMs })
      .min(1_000, { error: 'must be at least 1000 (1 s): a shorter cache would read the target\'s roles on almost every request' })
      .max(24 * 3600_000, { error: 'must be at most 86400000 (24 h); the reconciler also reads the roles on every pass' })
      .default(defaultRoleCacheMs),
  })
  .strict();

/** One connection: an IdP-facing SCIM directory bound to one target. */
export const connectionSchema = z
  .object({
    type: z.enum(connectorTypes, { error: `expected one of ${connectorTypes.join(', ')}` }),
    mode: z.enum(['eventual', 'strict']).default('eventual'),
    /** Mapping file path (relative to the config file); defaults to mappings/<type>.yaml. */
    mapping: z.string().min(1).optional(),
    scim: scimAuthSchema,
    /** Checked against the connector type's own schema. */
    target: z.record(z.string(), z.unknown()),
    limits: targetLimitsSchema.default(targetLimitsSchema.parse({})),
    sync: syncSettingsSchema.default(syncSettingsSchema.parse({})),
    /** What the reconciler does with drift: fix it, or only report it. */
    drift: z.enum(['repair', 'report']).default('repair'),
  })
  .strict();

/** Connection names are URL path segments; Okta rejects base URLs with `_` (Okta's SCIM prepare guide). */
export const connectionName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, { error: 'connection names use letters, digits and "-" (Okta rejects "_" in base URLs)' });

/** The whole bridge configuration. */
export const bridgeConfigSchema = z
  .object({
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** HTTPS: PEM file paths. */
        tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 }),
    /** Base for meta.location (`https://scim.example.com`); otherwise taken from the request. */
    publicUrl: url('a URL').optional(),
    store: z
      .string()
      .refine((s) => /^(sqlite:|postgres(ql)?:\/\/)/.test(s), { error: 'expected sqlite:<file> or postgres://user:pass@host:5432/db' })
      .default('sqlite:./data/bridge.db'),
    log: z
      .object({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info'), format: z.enum(['json', 'pretty']).optional() })
      .strict()
      .default({ level: 'info' }),
    http: z
      .object({
        /** Largest request body; big enough for a Group push of 10,000 members. */
        bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/i, { error: 'expected a size like 512kb or 10mb' }).default('10mb'),
        /** SCIM requests per minute per client (token or address) before 429. */
        requestsPerMinute: z.number().int().min(1).default(6000),
        /** Token for /status and admin endpoints when not bound to localhost. */
        adminToken: secret.min(16).optional(),
        /** Which reverse proxies may name the client (X-Forwarded-For): off, a hop count, or addresses. */
        trustProxy: trustProxySchema.default(false),
        /** Keys signing OAuth access tokens (the first signs); required when a connection uses scim.oauth. */
        tokenSigningKey: tokenSigningKeysSchema.optional(),
      })
      .strict()
      .default({ bodyLimit: '10mb', requestsPerMinute: 6000, trustProxy: false }),
    reconcile: z
      .object({ intervalMs: z.number().int().min(10_000).default(15 * 60_000), auditRetentionDays: z.number().int().min(1).default(90) })
      .strict()
      .default({ intervalMs: 15 * 60_000, auditRetentionDays: 90 }),
    /** Webhooks told about held, failed and unsupported users, drift and unreachable targets (docs/notifications.md). */
    notify: notifySchema.optional(),
    // Names are checked by connectionNameIssues (before this schema, so they show with other issues).
    connections: z.record(z.string(), connectionSchema).refine((c) => Object.keys(c).length > 0, { error: 'define at least one connection' }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const oauth = Object.entries(config.connections).filter(([, c]) => c.scim.oauth !== undefined).map(([name]) => name);
    if (oauth.length > 0 && config.http.tokenSigningKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['http', 'tokenSigningKey'], message: `required when a connection uses scim.oauth (${oauth.join(', ')}): a random string of at least 32 characters` });
    }
  });

export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;
export type ConnectionConfig = z.infer<typeof connectionSchema>;
export type ScimAuthConfig = z.infer<typeof scimAuthSchema>;

/** Problems with connection names, as [name, message] pairs. */
export function connectionNameIssues(value: unknown): [string, string][] {
  const connections = (value as { connections?: unknown } | null)?.connections;
  if (connections === null || typeof connections !== 'object') return [];
  return Object.keys(connections).flatMap((name): [string, string][] => {
    const result = connectionName.safeParse(name);
    return result.success ? [] : [[name, result.error.issues[0]?.message ?? 'invalid connection name']];
  });
}
