import type { CallOptions, Connector, TargetRole } from '../connectors/types.js';
import { defaultRoleCacheMs } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';

/**
 * The roles a connection's target offers, read through the connector and kept in memory: SCIM
 * `/Roles` and the mapping's `assigned` rules read this cache, never the target. A live catalog
 * (Redis Enterprise's `GET /v1/roles`) is read once on first use, refreshed by the reconciler on
 * every pass, and in the background when older than its TTL; a static one (Redis Cloud, Paradime)
 * costs no target call at all.
 */

/** The roles as last read, highest first, and when (epoch ms). */
export interface RoleCatalogSnapshot {
  roles: readonly TargetRole[];
  readAt: number;
}

/** Options of {@link createRoleCatalog}. */
export interface RoleCatalogOptions {
  logger: Logger;
  /** How long a read stays fresh before a request starts a background refresh (default `sync.roleCacheMs`'s, 60 s). */
  ttlMs?: number;
  now?: () => number;
}

/** One connection's role cache. */
export interface RoleCatalog {
  /** The roles held now; reads the target only when nothing was read yet (one read shared by concurrent callers). */
  snapshot(): Promise<RoleCatalogSnapshot>;
  /** Reads the target now (the reconciler's pass); concurrent callers share one read. */
  refresh(options?: CallOptions): Promise<RoleCatalogSnapshot>;
  /** How many times the target was asked (for `BENCHMARKS.md` and tests). */
  readonly reads: number;
}


/** A cache over `connector.listRoles`; null when the target has no roles to publish. */
export function createRoleCatalog(connector: Connector, options: RoleCatalogOptions): RoleCatalog | null {
  const listRoles = connector.listRoles?.bind(connector);
  if (connector.capabilities.roleCatalog === undefined || listRoles === undefined) return null;
  const ttlMs = connector.capabilities.roleCatalog === 'static' ? Number.POSITIVE_INFINITY : (options.ttlMs ?? defaultRoleCacheMs);
  const now = options.now ?? Date.now;
  let held: RoleCatalogSnapshot | null = null;
  let reading: Promise<RoleCatalogSnapshot> | null = null;
  let reads = 0;

  const refresh = (call: CallOptions = {}): Promise<RoleCatalogSnapshot> => {
    reading ??= (async () => {
      reads++;
      try {
        const roles = await listRoles(call);
        const previous = held?.roles.map((r) => r.id).join('\n');
        held = { roles: roles.map((role) => Object.freeze({ ...role })), readAt: now() };
        if (previous !== undefined && previous !== roles.map((r) => r.id).join('\n')) options.logger.info('target roles changed', { roles: roles.length });
        return held;
      } finally {
        reading = null;
      }
    })();
    return reading;
  };

  return {
    async snapshot() {
      if (!held) return refresh();
      if (now() - held.readAt >= ttlMs && !reading) {
        refresh().catch((err: unknown) => options.logger.warn('cannot read the target roles; serving the last ones read', { error: err instanceof Error ? err.message : String(err) }));
      }
      return held;
    },
    refresh,
    get reads() {
      return reads;
    },
  };
}
