import { resetGuardIfClear } from '../sync/guard.js';
import { unmanagedEmailOf } from '../sync/unmanaged.js';
import { plural, processIo, UsageError, withStore, type CliIo } from './context.js';
import { userNames } from './users.js';

/**
 * `scim-bridge approve`: releases jobs the mass-deprovisioning guard (or the last-admin rule)
 * held. Released jobs are due at once with the reason `approved`, which the guard lets through;
 * whichever worker runs next (a running bridge's, or `scim-bridge sync`) converges them.
 */

/** Options of `scim-bridge approve`. */
export interface ApproveOptions {
  config?: string;
  connection: string;
  /** userNames or user ids; all held jobs of the connection when empty. */
  user?: string[];
  json?: boolean;
}

/** Runs `scim-bridge approve`; returns the exit code (1 when a named user has no held job). */
export async function approveCommand(options: ApproveOptions, io: CliIo = processIo): Promise<number> {
  if (!options.connection) throw new UsageError('--connection is required');
  return withStore(options, async ({ store, connections: [connection] }) => {
    if (!connection) throw new UsageError('--connection is required');
    const held = await store.listJobs(connection.name, { held: true, limit: 1_000_000 });
    const reasons = new Map(held.map((j) => [j.userId, j.heldReason]));
    // Tombstoned users included: a removal held by the guard is usually a user deleted in the IdP.
    const names = await userNames(store, connection.name, [...reasons.keys()]);
    // The removal of an account nobody manages goes by the account's email.
    for (const id of reasons.keys()) {
      const email = unmanagedEmailOf(id);
      if (email !== null) names.set(id, email);
    }
    const wanted = options.user && options.user.length > 0 ? options.user : null;
    const { ids, missing } = wanted ? pick([...reasons.keys()], names, wanted) : { ids: [...reasons.keys()], missing: [] };
    const released = ids.length === 0 ? 0 : await store.releaseJobs(connection.name, wanted ? ids : undefined);
    // Everything approved: the guard of every replica counts the next removals in a fresh window.
    if (released > 0) await resetGuardIfClear(store, connection.name);
    const users = ids.map((id) => ({ userId: id, userName: names.get(id) ?? null, reason: reasons.get(id) ?? null }));
    if (options.json) io.stdout.write(`${JSON.stringify({ connection: connection.name, released, users, notHeld: missing }, null, 2)}\n`);
    else io.stdout.write(renderApproval(connection.name, released, users, missing));
    return missing.length > 0 ? 1 : 0;
  });
}

/** The held users each reference names (a user id, or a userName compared case-insensitively). */
function pick(heldIds: readonly string[], names: ReadonlyMap<string, string>, references: readonly string[]): { ids: string[]; missing: string[] } {
  const ids = new Set<string>();
  const missing: string[] = [];
  for (const reference of references) {
    const wanted = reference.toLowerCase();
    const matches = heldIds.filter((id) => id === reference || names.get(id)?.toLowerCase() === wanted);
    if (matches.length === 0) missing.push(reference);
    for (const id of matches) ids.add(id);
  }
  return { ids: [...ids], missing };
}

function renderApproval(connection: string, released: number, users: { userId: string; userName: string | null; reason: string | null }[], missing: string[]): string {
  const lines: string[] = [];
  for (const reference of missing) lines.push(`${reference}: no held job in ${connection}`);
  if (released === 0) {
    lines.push(`no held jobs released in ${connection}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`released ${plural(released, 'held job')} in ${connection}:`);
  for (const user of users) lines.push(`  ${user.userName ?? '(user gone)'} (${user.userId})`);
  lines.push(
    '',
    'What happens next: the worker of a running bridge picks them up within its poll interval (about a second)',
    'and converges them even though the mass-deprovisioning guard tripped. Without a running bridge, run',
    `"scim-bridge sync --connection ${connection}" to converge them now. Follow them with "scim-bridge status"`,
    `and "scim-bridge audit --connection ${connection}".`,
  );
  return `${lines.join('\n')}\n`;
}
