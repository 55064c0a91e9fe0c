import type { z } from 'zod';
import type { Logger } from '../logging/logger.js';
import type { RequestLimiter, TargetCallEvent } from './http-client.js';
import type { SimulatorCommonOptions, Simulator } from './simulator-kit.js';
import type { Connector, ConnectorCapabilities, ConnectorType } from './types.js';

/** What the core hands a connector when it builds one. */
export interface ConnectorDeps {
  /** Already a child logger with `{ connection, target }`. */
  logger: Logger;
  limiter?: RequestLimiter;
  onCall?: (event: TargetCallEvent) => void;
  /** Per-attempt timeout for target calls (default 30 s). */
  timeoutMs?: number;
  /** Retries of a transient failure inside one call (default 3). */
  retries?: number;
  /** First backoff step inside one call (default 200 ms). */
  backoffMs?: number;
  /** Keep-alive sockets to the target (default 8); the core sets at least the sync concurrency. */
  connections?: number;
}

/** Options every simulator understands (the CLI's `simulate` and the sandbox pass these). */
export interface SimulatorOptions extends SimulatorCommonOptions {
  /** Accept invitations (Redis Cloud, Paradime) this many seconds after they are sent. */
  autoAcceptSeconds?: number;
  /** Override default credentials (field names as in the connection's `target`). */
  credentials?: Record<string, string>;
}

/**
 * One registry entry per target type: the schema of `connections.<name>.target`, which of its
 * fields are secrets, how to build the connector, and how to build the simulator.
 */
export interface ConnectorDefinition<Target extends { url: string } = { url: string }, SimOptions extends SimulatorOptions = SimulatorOptions> {
  readonly type: ConnectorType;
  /** zod schema of `connections.<name>.target` (the url field included). */
  readonly targetSchema: z.ZodType<Target>;
  /** What the target can do (also checked when mapping files load, before any connector exists). */
  readonly capabilities: ConnectorCapabilities;
  /** Fields of the target config that hold secrets: redacted in logs, never echoed. */
  readonly secretFields: readonly string[];
  /**
   * For a target that runs one write at a time (Redis Cloud: one task per account): the identity
   * of what its writes queue in (the account), the same for every connection and replica that
   * writes to it, so the core serialises their writes together. May hold a secret: the core only
   * keeps a hash of it. Absent: writes are not serialised.
   */
  serialWritesScope?(target: Target): string;
  createConnector(target: Target, deps: ConnectorDeps): Connector;
  createSimulator(options?: SimOptions): Simulator;
}
