import type { ResolvedConnection } from '../config/load.js';
import type { AuditRecord, Store } from '../directory/store.js';
import { emailOf, exportRecord, renderRecord } from './audit-format.js';
import { processIo, withStore, type CliIo } from './context.js';
import { resolveUser, userNames } from './users.js';

/**
 * `scim-bridge audit`: the decision audit log, newest first: readable by default, one JSON
 * object per line with `--jsonl` (and nothing else on stdout, so it can be redirected to a file).
 */

/** Options of `scim-bridge audit`. */
export interface AuditOptions {
  config?: string;
  connection?: string;
  /** A userName, a user id, or (for users already gone from the directory) an email. */
  user?: string;
  /** Epoch ms. */
  since?: number;
  limit?: number;
  jsonl?: boolean;
}

const READABLE_LIMIT = 100;
const EXPORT_LIMIT = 1_000_000;
// How far back a search by email looks when the user is no longer in the directory.
const EMAIL_SCAN = 20_000;

/** Runs `scim-bridge audit`; returns the exit code. */
export async function auditCommand(options: AuditOptions, io: CliIo = processIo): Promise<number> {
  return withStore(options, async ({ store, connections }) => {
    const limit = options.limit ?? (options.jsonl ? EXPORT_LIMIT : READABLE_LIMIT);
    const records = await findRecords(store, connections, options, limit);
    const names = await namesOf(store, records);
    const nameOf = (r: AuditRecord): string | undefined => names.get(`${r.connection}\u0000${r.userId}`);
    if (options.jsonl) {
      for (const record of records) io.stdout.write(`${exportRecord(record, nameOf(record))}\n`);
      if (records.length === limit) io.stderr.write(`scim-bridge: stopped at --limit ${limit}; there may be older records\n`);
      return 0;
    }
    if (records.length === 0) io.stdout.write('no audit records match\n');
    io.stdout.write(records.map((r) => renderRecord(r, nameOf(r))).join('\n'));
    if (records.length === limit) io.stdout.write(`\n(the newest ${limit} records; --limit N shows more if there are more)\n`);
    return 0;
  });
}

async function findRecords(store: Store, connections: readonly ResolvedConnection[], options: AuditOptions, limit: number): Promise<AuditRecord[]> {
  const scope = { ...(options.connection ? { connection: options.connection } : {}), ...(options.since !== undefined ? { since: options.since } : {}) };
  if (options.user === undefined) return store.listAudit({ ...scope, limit });
  const found = new Map<number | string, AuditRecord>();
  const add = (records: readonly AuditRecord[]): void => {
    for (const record of records) found.set(record.id ?? `${record.connection}:${record.userId}:${record.at}`, record);
  };
  const ids = new Set<string>();
  for (const connection of connections) for (const id of await resolveUser(store, connection.name, options.user)) ids.add(id);
  for (const userId of ids) add(await store.listAudit({ ...scope, userId, limit }));
  if (found.size === 0 && options.user.includes('@')) {
    // A deleted user leaves the directory once their account is gone; the records keep the email.
    const wanted = options.user.toLowerCase();
    add((await store.listAudit({ ...scope, limit: EMAIL_SCAN })).filter((r) => emailOf(r)?.toLowerCase() === wanted));
  }
  return [...found.values()].sort((a, b) => b.at - a.at || (b.id ?? 0) - (a.id ?? 0)).slice(0, limit);
}

async function namesOf(store: Store, records: readonly AuditRecord[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const byConnection = new Map<string, Set<string>>();
  for (const r of records) byConnection.set(r.connection, (byConnection.get(r.connection) ?? new Set()).add(r.userId));
  for (const [connection, ids] of byConnection) {
    for (const [id, name] of await userNames(store, connection, [...ids])) names.set(`${connection}\u0000${id}`, name);
  }
  return names;
}
