import { z } from 'zod';
import type { AuditRecord } from '../directory/store.js';
import { formatTime, truncate } from './format.js';

/**
 * How one decision audit record reads. The record's `decision` is stored JSON (written by
 * src/sync/converge.ts, possibly by an older version), so it is narrowed by a lenient schema and
 * printed raw when it does not fit.
 */

const accountSchema = z
  .object({ id: z.string().nullable().optional(), email: z.string(), role: z.string().nullable().optional(), status: z.string().optional() })
  .nullable()
  .optional();

const recordSchema = z.object({
  decision: z
    .object({ kind: z.string(), reason: z.string().optional(), profile: z.object({ email: z.string() }).nullable().optional() })
    .nullable()
    .optional(),
  plan: z.object({ kind: z.string(), summary: z.string().optional() }).nullable().optional(),
  removal: z.boolean().optional(),
  before: accountSchema,
  after: accountSchema,
  calls: z
    .array(z.object({ op: z.string(), detail: z.string().optional(), ms: z.number().optional(), ok: z.boolean(), error: z.object({ code: z.string(), message: z.string() }).optional() }))
    .optional(),
  outcome: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  note: z.string().optional(),
});

type Account = z.infer<typeof accountSchema>;

/** A record's decision, narrowed. */
export type AuditDecision = z.infer<typeof recordSchema>;

/** The decision of a record, or null when it was written in a shape this version does not read. */
export function parseAuditDecision(record: AuditRecord): AuditDecision | null {
  const parsed = recordSchema.safeParse(record.decision);
  return parsed.success ? parsed.data : null;
}

/** The email an audit record is about (the desired one, else the account's), for `--user` and display. */
export function emailOf(record: AuditRecord): string | null {
  const parsed = recordSchema.safeParse(record.decision);
  if (!parsed.success) return null;
  const { decision, before, after } = parsed.data;
  return decision?.profile?.email ?? before?.email ?? after?.email ?? null;
}

/** One record as a block of lines; `userName` when the directory still knows the user. */
export function renderRecord(record: AuditRecord, userName: string | undefined): string {
  const who = userName ?? emailOf(record) ?? '(unknown user)';
  const head = `${formatTime(record.at)}  ${record.connection}  ${who}  (user ${record.userId})\n`;
  const parsed = recordSchema.safeParse(record.decision);
  if (!parsed.success) return `${head}  record    ${truncate(JSON.stringify(record.decision), 2000)}\n`;
  const r = parsed.data;
  const rows: [string, string][] = [['requests', record.requestIds.length > 0 ? record.requestIds.join(', ') : '(none: reconcile or sync)']];
  if (r.decision) rows.push(['decision', `${r.decision.kind}${r.decision.reason ? `: ${r.decision.reason}` : ''}`]);
  if (r.plan) rows.push(['plan', `${r.plan.kind}${r.plan.summary ? `: ${r.plan.summary}` : ''}${r.removal ? ' (removes access)' : ''}`]);
  rows.push(['before', describeAccount(r.before)], ['after', describeAccount(r.after)]);
  for (const call of r.calls ?? []) {
    const result = call.ok ? 'ok' : `failed ${call.error ? `${call.error.code}: ${truncate(call.error.message, 200)}` : ''}`;
    rows.push(['call', `${call.op}${call.detail ? ` ${call.detail}` : ''} → ${result}${call.ms === undefined ? '' : ` (${call.ms}ms)`}`]);
  }
  if ((r.calls ?? []).length === 0) rows.push(['calls', 'none']);
  rows.push(['outcome', `${r.outcome ?? 'unknown'}${r.error ? ` (${r.error.code}: ${truncate(r.error.message, 300)})` : ''}`]);
  if (r.note) rows.push(['note', r.note]);
  return head + rows.map(([key, value]) => `  ${key.padEnd(9)} ${value}\n`).join('');
}

function describeAccount(account: Account): string {
  if (!account) return 'none';
  return [account.status, account.id ? `id ${account.id}` : null, account.email, account.role ? `role ${account.role}` : null].filter(Boolean).join(', ');
}

/** One record as an export line: `at` in ISO 8601, the rest as stored. */
export function exportRecord(record: AuditRecord, userName: string | undefined): string {
  return JSON.stringify({
    id: record.id ?? null,
    at: formatTime(record.at),
    connection: record.connection,
    userId: record.userId,
    userName: userName ?? null,
    requestIds: record.requestIds,
    decision: record.decision,
  });
}
