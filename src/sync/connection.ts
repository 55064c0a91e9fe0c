import type { ConnectionConfig } from '../config/schema.js';
import type { Connector } from '../connectors/types.js';
import type { Logger } from '../logging/logger.js';
import type { Decision, MappingInput } from '../mapping/types.js';
import type { WriteLock } from './limits.js';

/** Everything the sync layer knows about one connection, built by the composition root. */
export interface SyncConnection {
  name: string;
  type: ConnectorType;
  mode: ConnectionConfig['mode'];
  connector: Connector;
  /** The mapping file, applied to one user (pure). */
  evaluate(input: MappingInput): Decision;
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
}

type ConnectorType = Connector['type'];
