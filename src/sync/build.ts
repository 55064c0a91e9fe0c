import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ResolvedConnection } from '../config/load.js';
import { ConfigError } from '../config/load.js';
import type { SourceIssue } from '../config/yaml-source.js';
import type { RequestLimiter, TargetCallEvent } from '../connectors/http-client.js';
import { connectorRegistry } from '../connectors/registry.js';
import type { Coordination } from '../directory/coordination.js';
import type { Logger } from '../logging/logger.js';
import { evaluateMapping } from '../mapping/evaluate.js';
import { loadMappingFile, MappingError } from '../mapping/load.js';
import type { Mapping } from '../mapping/schema.js';
import type { SyncConnection } from './connection.js';
import { createRateLimiter, Mutex, type WriteLock } from './limits.js';
import { createRoleCatalog } from './role-catalog.js';
import { silentNotifier, type SyncNotifier } from './notifier.js';
import { createSharedRateLimiter, SharedWriteLock } from './shared-limits.js';

/** Options of {@link buildSyncConnections}. */
export interface BuildOptions {
  logger: Logger;
  /**
   * The store, to share the rate limit and the write lock with every replica on it. Without it
   * (`validate`, which writes nothing) both are this process's own.
   */
  coordination?: Coordination;
  /** The clock of the role catalogs (tests); their freshness is each connection's `sync.roleCacheMs`. */
  now?: () => number;
  /** Every target call, for metrics. */
  onCall?: (connection: string, event: TargetCallEvent) => void;
  /** Told about outcomes that need a person (default: nobody). */
  notifier?: SyncNotifier;
}

/** Loads every connection's mapping; throws one ConfigError listing every problem in every file. */
export function loadMappings(connections: readonly ResolvedConnection[]): Map<string, Mapping> {
  const mappings = new Map<string, Mapping>();
  const issues: SourceIssue[] = [];
  for (const connection of connections) {
    try {
      const target = { type: connection.type, capabilities: connectorRegistry[connection.type].capabilities };
      mappings.set(connection.name, loadMappingFile(connection.mappingPath, target));
    } catch (err) {
      if (err instanceof MappingError || err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return mappings;
}

/** Builds the runtime of every connection: connector (with its rate limit), mapping, write lock. */
export function buildSyncConnections(connections: readonly ResolvedConnection[], options: BuildOptions): SyncConnection[] {
  const mappings = loadMappings(connections);
  const writeLocks = new Map<string, WriteLock>();
  return connections.map((connection) => {
    const definition = connectorRegistry[connection.type];
    const logger = options.logger.child({ connection: connection.name, target: connection.type });
    const mapping = mappings.get(connection.name) as Mapping;
    const connector = definition.createConnector(connection.target, {
      logger,
      timeoutMs: connection.limits.timeoutMs,
      retries: connection.limits.retries,
      // One socket per job in flight, or calls queue behind each other in the pool.
      connections: Math.max(8, connection.limits.concurrency),
      ...(connection.limits.requestsPerSecond ? { limiter: rateLimiter(connection.name, connection.limits.requestsPerSecond, logger, options.coordination) } : {}),
      ...(options.onCall ? { onCall: (event: TargetCallEvent) => options.onCall?.(connection.name, event) } : {}),
    });
    const roles = createRoleCatalog(connector, { logger, ttlMs: connection.sync.roleCacheMs, ...(options.now ? { now: options.now } : {}) });
    const usesAssigned = mapping.roles.rules.some((rule) => rule.kind === 'assigned');
    return {
      name: connection.name,
      type: connection.type,
      mode: connection.mode,
      connector,
      evaluate: async (input) => evaluateMapping(mapping, input, usesAssigned && roles ? (await roles.snapshot()).roles.map((r) => r.id) : []),
      roles,
      settings: connection.sync,
      concurrency: connection.limits.concurrency,
      drift: connection.drift,
      // Redis Cloud processes one task per account at a time (process-lifecycle.md): serialise our writes too, per account, across connections and replicas.
      writeLock: writeLockOf(definition.serialWritesScope?.(connection.target), connection.type, writeLocks, options.coordination),
      unmanaged: mapping.unmanaged,
      protectedEmails: new Set(mapping.protected.emails.map((e: string) => e.toLowerCase())),
      logger,
      notifier: options.notifier ?? silentNotifier,
    };
  });
}

function rateLimiter(connection: string, perSecond: number, logger: Logger, coordination: Coordination | undefined): RequestLimiter {
  return coordination ? createSharedRateLimiter(coordination, `target-rate:${connection}`, perSecond, logger) : createRateLimiter(perSecond);
}

/**
 * The write lock of a target scope (an account), one per scope in this process, and one lease per
 * scope in the store: keyed by a hash of the scope (it may hold the account's key), so every
 * connection and replica writing to one account takes turns.
 */
function writeLockOf(scope: string | undefined, type: string, locks: Map<string, WriteLock>, coordination: Coordination | undefined): WriteLock | null {
  if (scope === undefined) return null;
  const name = `target-writes:${type}:${createHash('sha256').update(scope).digest('hex').slice(0, 32)}`;
  let lock = locks.get(name);
  if (lock === undefined) {
    lock = coordination ? new SharedWriteLock(coordination, name, { holderPrefix: `${hostname()}:${process.pid}` }) : new Mutex();
    locks.set(name, lock);
  }
  return lock;
}
