import { processIo, withStore, type CliIo } from './context.js';
import { formatDuration, renderTable, truncate } from './format.js';
import { readStatuses, type ConnectionStatus } from './summary.js';

/**
 * `scim-bridge status`: per connection, users and where they stand in the target, the top
 * problems, held jobs and the queue. Reads the store only: no target is called, so it works
 * whether or not a bridge is running (and in the sandbox without it).
 */

/** Options of `scim-bridge status`. */
export interface StatusOptions {
  config?: string;
  connection?: string;
  json?: boolean;
}

/** Runs `scim-bridge status`; returns the exit code. */
export async function statusCommand(options: StatusOptions, io: CliIo = processIo): Promise<number> {
  return withStore(options, async ({ store, connections }) => {
    const statuses = await readStatuses(store, connections);
    io.stdout.write(options.json ? `${JSON.stringify({ connections: statuses }, null, 2)}\n` : renderStatuses(statuses));
    return 0;
  });
}

const headers = ['CONNECTION', 'TYPE', 'MODE', 'USERS', 'SYNCED', 'PENDING', 'FAILED', 'UNSUPPORTED', 'HELD', 'QUEUE', 'OLDEST JOB'];

/** The status table, then the problems and held jobs of each connection. */
export function renderStatuses(statuses: readonly ConnectionStatus[]): string {
  const rows = statuses.map((s) => [
    s.connection,
    s.type,
    s.mode,
    ...[s.users, s.synced, s.pending, s.failed, s.unsupported, s.held, s.queue.pending].map(String),
    s.queue.oldestAgeMs === null ? '-' : formatDuration(s.queue.oldestAgeMs),
  ]);
  const out = [renderTable(headers, rows, new Set([3, 4, 5, 6, 7, 8, 9, 10]))];
  for (const status of statuses) out.push(renderDetails(status));
  return out.join('');
}

/** Problems and held jobs of one connection; empty when there are none. */
export function renderDetails(status: ConnectionStatus): string {
  const lines: string[] = [];
  if (status.deleted > 0) lines.push(`${status.connection}: the counts include ${status.deleted} user(s) deleted in the IdP whose account removal is not finished`);
  if (status.topErrors.length > 0) {
    lines.push(`${status.connection}: top problems`);
    for (const error of status.topErrors) lines.push(`  ${String(error.count).padStart(5)} × ${error.code}: ${truncate(error.message, 160)}`);
  }
  if (status.held > 0) {
    lines.push(`${status.connection}: ${status.held} held job(s) waiting for approval`);
    for (const held of status.heldReasons) lines.push(`  ${String(held.count).padStart(5)} × ${truncate(held.reason, 200)}`);
    lines.push(`  release them with: scim-bridge approve --connection ${status.connection}`);
  }
  if (status.unmanaged !== null && status.unmanaged > 0) {
    lines.push(`${status.connection}: ${status.unmanaged} target account(s) nobody manages at the last reconcile; list them with: scim-bridge unmanaged --connection ${status.connection}`);
  }
  return lines.length === 0 ? '' : `\n${lines.join('\n')}\n`;
}
