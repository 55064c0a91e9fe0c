import type { ConnectionConfig } from '../config/schema.js';
import type { Connector } from '../connectors/types.js';
import type { Logger } from '../logging/logger.js';
import type { Decision, MappingInput } from '../mapping/types.js';
import type { WriteLock } from './limits.js';
import type { SyncNotifier } from './notifier.js';
import type { RoleCatalog } from './role-catalog.js';

/** Everything the sync layer knows about one connection, built by the composition root. */
export interface SyncConnection {
  name: string;
  type: ConnectorType;
  mode: ConnectionConfig['mode'];
  connector: Connector;
  /**
   * The mapping file, applied to one user (pure), with the target's roles from {@link roles}
   * when the mapping has `assigned` rules (the first read of a live catalog asks the target).
   */
  evaluate(input: MappingInput): Promise<Decision>;
  /** The roles the target publishes (`/Roles`, `assigned` rules); null when it has none. */
  roles: RoleCatalog | null;
  settings: ConnectionConfig['sync'];
  concurrency: number;
  drift: ConnectionConfig['drift'];
  /** Held around every target write when the target processes one change at a time (Redis Cloud); shared by replicas. */
  writeLock: WriteLock | null;
  /** What becomes of target accounts no SCIM user stands behind (the mapping's `unmanaged`): reported only, or removed. */
  unmanaged: 'report' | 'remove';
  /** Emails the mapping lists as protected (lowercase), also skipped by the reconciler. */
  protectedEmails: ReadonlySet<string>;
  logger: Logger;
  /** Where outcomes that need a person go (held, failed, unsupported, drift); queued durably by the root's notifier. */
  notifier: SyncNotifier;
}

type ConnectorType = Connector['type'];
