import { userInfo } from 'node:os';
import type { Store } from '../directory/store.js';
import { resetGuardIfClear } from '../sync/guard.js';
import { plural, processIo, UsageError, withStore, type CliIo } from './context.js';
import { readHeld, renderHeld, toJson, type HeldUser } from './held.js';

/**
 * `scim-bridge approve`: releases jobs the mass-deprovisioning guard (or the last-admin rule)
 * held. Released jobs are due at once with the reason `approved`, which the guard lets through;
 * whichever worker runs next (a running bridge's, or `scim-bridge sync`) converges them. Who
 * approved is recorded in the audit log, once per user at the approval and again in the record
 * of the run it let through. `--dry-run` lists what would be released and changes nothing.
 */

/** Options of `scim-bridge approve`. */
export interface ApproveOptions {
  config?: string;
  connection: string;
  /** userNames or user ids; all held jobs of the connection when empty. */
  user?: string[];
  /** Who approves (recorded in the audit log); the operating-system user when absent. */
  by?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Runs `scim-bridge approve`; returns the exit code (1 when a named user has no held job). */
export async function approveCommand(options: ApproveOptions, io: CliIo = processIo): Promise<number> {
  if (!options.connection) throw new UsageError('--connection is required');
  const by = approverOf(options.by);
  return withStore(options, async ({ store, connections: [connection] }) => {
    if (!connection) throw new UsageError('--connection is required');
    // Tombstoned users included: a removal held by the guard is usually a user deleted in the IdP.
    const held = await readHeld(store, connection.name);
    const wanted = options.user && options.user.length > 0 ? options.user : null;
    const { users, missing } = wanted ? pick(held, wanted) : { users: held, missing: [] };
    const released = options.dryRun ? 0 : await release(store, connection.name, users, wanted !== null, by);
    const body = { connection: connection.name, dryRun: options.dryRun ?? false, approvedBy: by, released, users: users.map(toJson), notHeld: missing };
    if (options.json) io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    else io.stdout.write(options.dryRun ? renderDryRun(connection.name, users, missing) : renderApproval(connection.name, released, users, missing, by));
    return missing.length > 0 ? 1 : 0;
  });
}

/** `--by`, else the operating-system user: an approval always names someone. */
function approverOf(by: string | undefined): string {
  if (by !== undefined) {
    const name = by.trim();
    if (name === '' || name.length > 200) throw new UsageError('--by needs a name (who approves), at most 200 characters');
    return name;
  }
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Releases the jobs and records the approval per user; returns how many were released. */
async function release(store: Store, connection: string, users: readonly HeldUser[], isPicked: boolean, by: string): Promise<number> {
  if (users.length === 0) return 0;
  const released = await store.releaseJobs(connection, isPicked ? users.map((u) => u.userId) : undefined, { approvedBy: by });
  const at = Date.now();
  await store.appendAudit(
    users.map((user) => ({
      at,
      connection,
      userId: user.userId,
      requestIds: [],
      decision: { outcome: 'approved', approvedBy: by, heldReason: user.reason, heldSince: user.since, action: user.action, before: user.account, note: `approved by ${by}${user.action ? `: ${user.action}` : ''}` },
    })),
  );
  // Everything approved: the guard of every replica counts the next removals in a fresh window.
  if (released > 0) await resetGuardIfClear(store, connection);
  return released;
}

/** The held users each reference names (a user id, or a userName compared case-insensitively). */
function pick(held: readonly HeldUser[], references: readonly string[]): { users: HeldUser[]; missing: string[] } {
  const users = new Map<string, HeldUser>();
  const missing: string[] = [];
  for (const reference of references) {
    const wanted = reference.toLowerCase();
    const matches = held.filter((user) => user.userId === reference || user.userName?.toLowerCase() === wanted);
    if (matches.length === 0) missing.push(reference);
    for (const user of matches) users.set(user.userId, user);
  }
  return { users: [...users.values()], missing };
}

function notHeldLines(connection: string, missing: readonly string[]): string[] {
  return missing.map((reference) => `${reference}: no held job in ${connection}`);
}

function renderDryRun(connection: string, users: readonly HeldUser[], missing: readonly string[]): string {
  const lines = notHeldLines(connection, missing);
  if (users.length === 0) return `${[...lines, `nothing would be released in ${connection}`].join('\n')}\n`;
  const table = renderHeld(connection, users, `dry run: approving would release ${plural(users.length, 'held job')} in ${connection} (nothing was changed)`);
  return `${lines.map((l) => `${l}\n`).join('')}${table}\nto release them: scim-bridge approve --connection ${connection}${users.length === 1 && users[0]?.userName ? ` --user ${users[0].userName}` : ''} --by "<your name>"\n`;
}

function renderApproval(connection: string, released: number, users: readonly HeldUser[], missing: readonly string[], by: string): string {
  const lines = notHeldLines(connection, missing);
  if (released === 0) {
    lines.push(`no held jobs released in ${connection}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`released ${plural(released, 'held job')} in ${connection}, approved by ${by}:`);
  for (const user of users) lines.push(`  ${user.userName ?? '(user gone)'} (${user.userId})${user.action ? `: ${user.action}` : ''}`);
  lines.push(
    '',
    'What happens next: the worker of a running bridge picks them up within its poll interval (about a second)',
    'and converges them even though the mass-deprovisioning guard tripped. Without a running bridge, run',
    `"scim-bridge sync --connection ${connection}" to converge them now. Follow them with "scim-bridge status"`,
    `and "scim-bridge audit --connection ${connection}" (the approval is recorded there, with who approved).`,
  );
  return `${lines.join('\n')}\n`;
}
