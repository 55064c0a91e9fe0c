import type { AuditRecord, Store } from '../directory/store.js';
import { emailOf, parseAuditDecision, type AuditDecision } from './audit-format.js';
import { plural } from './context.js';
import { formatTime, truncate } from './format.js';
import { userNames } from './users.js';

/**
 * What a `sync` run changed in a target, per user, read back from the decision audit records
 * the run wrote (each carries the target calls made and the account before and after).
 * Records written meanwhile by a bridge running beside it are included: they are changes too.
 */

/** The kinds of change, in the order the total lists them, with their singular and plural wording. */
const kinds = {
  created: ['account created', 'accounts created'],
  invited: ['invitation sent', 'invitations sent'],
  linked: ['existing account linked', 'existing accounts linked'],
  role: ['role changed', 'roles changed'],
  email: ['email changed', 'emails changed'],
  name: ['name changed', 'names changed'],
  disabled: ['account disabled', 'accounts disabled'],
  deleted: ['account deleted', 'accounts deleted'],
} as const;

type ChangeKind = keyof typeof kinds;

/** One user's changes (and problem, when the run left them failed or unsupported). */
export interface UserChanges {
  user: string;
  changes: { kind: ChangeKind; text: string }[];
  problem: string | null;
}

const SHOWN = 50;
const SCAN = 100_000;

/** The changes the audit records of `connection` since `since` (epoch ms) describe, one entry per user, in order. */
export async function collectChanges(store: Store, connection: string, since: number): Promise<UserChanges[]> {
  const records = (await store.listAudit({ connection, since, limit: SCAN })).reverse();
  const names = await userNames(store, connection, records.map((r) => r.userId));
  const byUser = new Map<string, UserChanges>();
  for (const record of records) {
    const decision = parseAuditDecision(record);
    if (!decision) continue;
    const entry = byUser.get(record.userId) ?? { user: names.get(record.userId) ?? emailOf(record) ?? record.userId, changes: [], problem: null };
    entry.changes.push(...changesOf(decision));
    entry.problem = decision.error && (decision.outcome === 'failed' || decision.outcome === 'unsupported') ? `${decision.outcome}: ${decision.error.code}: ${truncate(decision.error.message, 200)}` : null;
    byUser.set(record.userId, entry);
  }
  return [...byUser.values()].filter((u) => u.changes.length > 0 || u.problem !== null);
}

/** What the successful target calls of one decision did. */
function changesOf(decision: AuditDecision): UserChanges['changes'] {
  const changes: UserChanges['changes'] = [];
  let role = decision.before?.role ?? null;
  let email = decision.before?.email ?? null;
  for (const call of decision.calls ?? []) {
    if (!call.ok) continue;
    if (call.op === 'create') {
      const created = decision.after?.role ?? /\bas (.+)$/.exec(call.detail ?? '')?.[1] ?? null;
      const isInvitation = decision.after?.status === 'invited';
      changes.push({ kind: isInvitation ? 'invited' : 'created', text: `${isInvitation ? 'sent an invitation' : 'created the account'}${created ? ` with role ${created}` : ''}` });
      role = created;
    } else if (call.op === 'find') {
      changes.push({ kind: 'linked', text: 'linked the existing account' });
      role = null;
    } else if (call.op === 'update') {
      const change = parseChange(call.detail);
      if (change.role !== undefined) changes.push({ kind: 'role', text: `role ${role ?? '(unknown)'} → ${change.role}` });
      if (change.email !== undefined) changes.push({ kind: 'email', text: `email ${email ?? '(unknown)'} → ${change.email}` });
      if (change.name !== undefined) changes.push({ kind: 'name', text: `name → ${JSON.stringify(change.name)}` });
      role = change.role ?? role;
      email = change.email ?? email;
    } else if (call.op === 'disable') {
      changes.push({ kind: 'disabled', text: 'disabled the account' });
    } else if (call.op === 'delete') {
      changes.push({ kind: 'deleted', text: 'deleted the account' });
    }
  }
  return changes;
}

function parseChange(detail: string | undefined): { role?: string; email?: string; name?: string } {
  try {
    const value = JSON.parse(detail ?? '{}') as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof value[key] === 'string' ? value[key] : undefined);
    return { ...(text('role') !== undefined ? { role: text('role') } : {}), ...(text('email') !== undefined ? { email: text('email') } : {}), ...(text('name') !== undefined ? { name: text('name') } : {}) };
  } catch {
    return {};
  }
}

/** `  changed in the target: 2 users (1 account created, 1 role changed)` and one line per user. */
export function renderChanges(users: readonly UserChanges[], connection: string, since: number): string[] {
  const changed = users.filter((u) => u.changes.length > 0);
  const failed = users.filter((u) => u.problem !== null);
  const counts = new Map<ChangeKind, number>();
  for (const user of changed) for (const change of user.changes) counts.set(change.kind, (counts.get(change.kind) ?? 0) + 1);
  const total = (Object.keys(kinds) as ChangeKind[])
    .filter((kind) => counts.has(kind))
    .map((kind) => {
      const n = counts.get(kind) ?? 0;
      return `${n} ${kinds[kind][n === 1 ? 0 : 1]}`;
    });
  const head = changed.length === 0 ? 'nothing' : `${plural(changed.length, 'user')} (${total.join(', ')})`;
  const lines = [`  changed in the target: ${head}${failed.length > 0 ? `; ${plural(failed.length, 'user')} not converged` : ''}`];
  const width = Math.min(40, Math.max(0, ...users.slice(0, SHOWN).map((u) => u.user.length)));
  for (const user of users.slice(0, SHOWN)) {
    const parts = [...user.changes.map((c) => c.text), ...(user.problem ? [user.problem] : [])];
    lines.push(`    ${user.user.padEnd(width)}  ${parts.join('; ')}`);
  }
  if (users.length > SHOWN) lines.push(`    … and ${users.length - SHOWN} more: scim-bridge audit --connection ${connection} --since ${formatTime(since)}`);
  return lines;
}
