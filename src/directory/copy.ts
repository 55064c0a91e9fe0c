import { BridgeError } from '../errors.js';
import { migrations } from './migrations.js';
import { postgresDialect, sqliteDialect, type Dialect } from './sql/dialect.js';
import { empty, raw, sql, Sql } from './sql/sql.js';
import { SqlStore, type TxRunner } from './sql/sql-store.js';
import { exec, first, rows, type Row, type Tx } from './sql/tx.js';
import type { Store } from './store.js';

/**
 * Copies every table of one store into another, empty one, in either direction (SQLite ↔
 * PostgreSQL): rows as they are stored, so ids, versions, timestamps, tombstones, jobs (held and
 * leased) and sync states stay exactly as they were. The source is read in keyset pages; the
 * destination is written in batches inside one transaction, so a failure leaves it empty.
 * `schema_migrations` is not copied: the destination's own `migrate()` fills it.
 */

/** How a column is stored; the drivers hand values back differently (see sql/rows.ts). */
type ColumnKind = 'text' | 'integer' | 'bool' | 'json';

/** One table to copy. */
export interface CopyTable {
  name: string;
  columns: Readonly<Record<string, ColumnKind>>;
  /** Paging order: the primary key, or (when `isKeyUnique` is false) a key whose rows are always read together. */
  key: readonly string[];
  isKeyUnique: boolean;
  /** An identity column: PostgreSQL's sequence must move past the copied ids. */
  autoId?: string;
}

/** Every table of the schema (migrations.ts), parents before children (foreign keys). */
export const copyTables: readonly CopyTable[] = [
  {
    name: 'users',
    key: ['connection', 'id'],
    isKeyUnique: true,
    columns: {
      connection: 'text', id: 'text', user_name: 'text', user_name_ci: 'text', external_id: 'text', active: 'bool',
      attributes: 'json', version: 'integer', created: 'integer', last_modified: 'integer', deleted_at: 'integer',
    },
  },
  {
    name: 'user_emails',
    key: ['connection', 'user_id'],
    isKeyUnique: false,
    columns: { connection: 'text', user_id: 'text', value_ci: 'text', type_ci: 'text', is_primary: 'bool' },
  },
  {
    name: 'groups',
    key: ['connection', 'id'],
    isKeyUnique: true,
    columns: {
      connection: 'text', id: 'text', display_name: 'text', display_name_ci: 'text', external_id: 'text',
      attributes: 'json', version: 'integer', created: 'integer', last_modified: 'integer',
    },
  },
  {
    name: 'group_members',
    key: ['connection', 'group_id', 'member_id'],
    isKeyUnique: true,
    columns: { connection: 'text', group_id: 'text', member_id: 'text' },
  },
  {
    name: 'sync_jobs',
    key: ['connection', 'user_id'],
    isKeyUnique: true,
    columns: {
      connection: 'text', user_id: 'text', generation: 'integer', reason: 'text', request_ids: 'json', enqueued_at: 'integer',
      available_at: 'integer', attempts: 'integer', last_error: 'text', held_reason: 'text', locked_by: 'text', locked_until: 'integer',
      lease_token: 'text', pending_handle: 'text', parked_at: 'integer', held_at: 'integer', approved_by: 'text',
    },
  },
  {
    name: 'sync_state',
    key: ['connection', 'user_id'],
    isKeyUnique: true,
    columns: {
      connection: 'text', user_id: 'text', status: 'text', target_id: 'text', target_email: 'text', role: 'text', is_managed: 'bool',
      account_status: 'text', last_error_code: 'text', last_error_message: 'text', last_sync_at: 'integer', updated_at: 'integer',
      target_email_ci: 'text', warnings: 'text',
    },
  },
  {
    // Live only beside a leased job (sql/lease-ops.ts): copied as they are, like the leases.
    name: 'sync_target_locks',
    key: ['connection', 'target_key'],
    isKeyUnique: true,
    columns: { connection: 'text', target_key: 'text', user_id: 'text', worker_id: 'text' },
  },
  {
    // Undelivered notifications: a copy delivers them from the new store.
    name: 'notify_outbox',
    key: ['id'],
    isKeyUnique: true,
    columns: {
      id: 'text', webhook: 'text', event: 'json', created_at: 'integer', available_at: 'integer', attempts: 'integer',
      last_error: 'text', lease_token: 'text', locked_until: 'integer',
    },
  },
  {
    name: 'unmanaged_reports',
    key: ['connection'],
    isKeyUnique: true,
    columns: { connection: 'text', reported_at: 'integer', policy: 'text', total: 'integer' },
  },
  {
    name: 'unmanaged_accounts',
    key: ['connection', 'email_ci'],
    isKeyUnique: true,
    columns: {
      connection: 'text', email_ci: 'text', email: 'text', target_id: 'text', name: 'text', role: 'text', account_status: 'text',
      protection: 'text', action: 'text', note: 'text', first_seen_at: 'integer',
    },
  },
  {
    name: 'audit_log',
    key: ['id'],
    isKeyUnique: true,
    autoId: 'id',
    columns: { id: 'integer', at: 'integer', connection: 'text', user_id: 'text', request_ids: 'json', decision: 'json' },
  },
];

/** Rows copied into one table. */
export interface TableCopy {
  table: string;
  rows: number;
}

/** Options of {@link copyStore}. */
export interface CopyOptions {
  /** Source rows per page and destination rows per INSERT. Default 500. */
  batchSize?: number;
  /** Called after each table is copied (progress). */
  onTable?: (copied: TableCopy) => void;
}

const dialects: Record<Store['dialect'], Dialect> = { sqlite: sqliteDialect, postgres: postgresDialect };

/**
 * Copies `source` into `destination`; both must be migrated. Refuses (CONFIG_INVALID, nothing
 * written) when the destination holds any row. The source must not change meanwhile: a table
 * whose row count differs from what was copied aborts the copy.
 */
export async function copyStore(source: Store, destination: Store, options: CopyOptions = {}): Promise<TableCopy[]> {
  const from = asSqlStore(source);
  const to = asSqlStore(destination);
  assertEveryTableKnown();
  const batchSize = Math.max(1, options.batchSize ?? 500);
  return to.loadInTransaction(async (run) => {
    const occupied = (await run(countRows())).filter((c) => c.rows > 0);
    if (occupied.length > 0) {
      const counts = occupied.map((c) => `${c.table}: ${c.rows}`).join(', ');
      throw new BridgeError('CONFIG_INVALID', `the destination store is not empty (${counts}): copy-store only copies into an empty store; nothing was copied`);
    }
    const copied: TableCopy[] = [];
    for (const table of copyTables) {
      const done = { table: table.name, rows: await copyTable(from, run, dialects[to.dialect], table, batchSize) };
      copied.push(done);
      options.onTable?.(done);
    }
    return copied;
  });
}

/** The store classes both databases share: copying works on raw rows. */
function asSqlStore(store: Store): SqlStore {
  if (!(store instanceof SqlStore)) throw new BridgeError('INTERNAL', `copy-store needs a SQL store, not ${store.dialect}`);
  return store;
}

/** Coordination state between running replicas (leases, rate buckets, guard windows): meaningless once they are stopped. */
export const uncopiedTables: readonly string[] = ['coord_buckets', 'coord_leases', 'coord_windows', 'coord_events'];

/** A table added by a migration but unknown here would silently stay behind: refuse instead. */
export function assertEveryTableKnown(): void {
  const known = new Set([...copyTables.map((t) => t.name), ...uncopiedTables]);
  for (const migration of migrations) {
    for (const statement of migration.statements(sqliteDialect, 0)) {
      const name = /^\s*CREATE TABLE (?:IF NOT EXISTS )?(\w+)/i.exec(statement)?.[1];
      if (name !== undefined && !known.has(name)) throw new BridgeError('INTERNAL', `copy-store does not know the table "${name}" (migration ${migration.version})`);
    }
  }
}

/** Row counts of every table (of the destination, before the copy). */
function* countRows(): Tx<TableCopy[]> {
  const counts: TableCopy[] = [];
  for (const table of copyTables) {
    const row = yield* first(sql`SELECT count(*) AS total FROM ${raw(table.name)}`);
    counts.push({ table: table.name, rows: Number(row?.total ?? 0) });
  }
  return counts;
}

/** Copies one table page by page; returns how many rows. */
async function copyTable(from: SqlStore, run: TxRunner, d: Dialect, table: CopyTable, batchSize: number): Promise<number> {
  let after: Row | null = null;
  let copied = 0;
  for (;;) {
    const key = after;
    const page = await from.readRaw(() => readPage(table, key, batchSize));
    if (page.length === 0) break;
    assertColumnsKnown(table, page[0] as Row);
    for (let i = 0; i < page.length; i += batchSize) {
      await run(insertRows(d, table, page.slice(i, i + batchSize), from.dialect));
    }
    copied += page.length;
    after = page[page.length - 1] as Row;
  }
  const total = await from.readRaw(() => first(sql`SELECT count(*) AS total FROM ${raw(table.name)}`));
  if (Number(total?.total ?? 0) !== copied) {
    throw new BridgeError('CONFIG_INVALID', `the source changed during the copy (${table.name}: ${copied} rows copied, ${String(total?.total)} now): stop the bridge and copy again; nothing was copied`);
  }
  if (table.autoId !== undefined && copied > 0 && d.name === 'postgres') {
    // Explicit ids do not advance an identity column's sequence; SQLite's AUTOINCREMENT follows by itself.
    const column = table.autoId;
    await run(first(sql`SELECT setval(pg_get_serial_sequence(${table.name}, ${column}), (SELECT max(${raw(column)}) FROM ${raw(table.name)}))`));
  }
  return copied;
}

/** A page of rows after `after` in key order; for a non-unique key, the last key's rows are completed. */
function* readPage(table: CopyTable, after: Row | null, limit: number): Tx<Row[]> {
  const key = raw(`(${table.key.join(', ')})`);
  const where = after === null ? empty : sql` WHERE ${key} > ${keyOf(table, after)}`;
  const page = yield* rows(sql`SELECT * FROM ${raw(table.name)}${where} ORDER BY ${raw(table.key.join(', '))} LIMIT ${limit}`);
  const last = page[page.length - 1];
  if (table.isKeyUnique || page.length < limit || last === undefined) return page;
  const rest = yield* rows(sql`SELECT * FROM ${raw(table.name)} WHERE ${key} = ${keyOf(table, last)}`);
  const isLast = (row: Row): boolean => table.key.every((column) => row[column] === last[column]);
  return [...page.filter((row) => !isLast(row)), ...rest];
}

/** The key of a row as a row value, `(?, ?)`. */
function keyOf(table: CopyTable, row: Row): Sql {
  return concat(table.key.map((column, i) => sql`${raw(i === 0 ? '(' : ', ')}${row[column]}`).concat(raw(')')));
}

/** A newer schema than this code knows (a column added by ALTER TABLE) must not be dropped silently. */
function assertColumnsKnown(table: CopyTable, row: Row): void {
  const unknown = Object.keys(row).filter((column) => !(column in table.columns));
  if (unknown.length > 0) throw new BridgeError('INTERNAL', `copy-store does not know the column(s) ${unknown.join(', ')} of table ${table.name}`);
}

/** One multi-row INSERT. */
function* insertRows(d: Dialect, table: CopyTable, batch: readonly Row[], source: Store['dialect']): Tx<number> {
  const columns = Object.entries(table.columns);
  const values: Sql[] = [];
  batch.forEach((row, r) => {
    columns.forEach(([column, kind], c) => {
      values.push(raw(c > 0 ? ', ' : r > 0 ? '), (' : '('));
      const value = decode(kind, row[column], source);
      values.push(kind === 'json' && value !== null ? d.json(value) : sql`${value}`);
    });
  });
  values.push(raw(')'));
  const names = columns.map(([column]) => column).join(', ');
  return yield* exec(sql`INSERT INTO ${raw(table.name)} (${raw(names)}) VALUES ${concat(values)}`);
}

/** A stored value as a plain JavaScript value both drivers bind alike. */
function decode(kind: ColumnKind, value: unknown, source: Store['dialect']): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'text':
      return String(value);
    case 'integer':
      // pg returns bigint as a string; every integer here (epoch ms, versions, ids) is a safe integer.
      return Number(value);
    case 'bool':
      return Boolean(value);
    case 'json':
      // SQLite keeps JSON as text; pg hands jsonb back parsed (a JSON string as a bare string).
      return source === 'sqlite' ? (JSON.parse(String(value)) as unknown) : value;
  }
}

/** Joins fragments in linear time (`join` re-copies its accumulator: fine for a few, not for thousands of values). */
function concat(items: readonly Sql[]): Sql {
  const parts: string[] = [''];
  const values: unknown[] = [];
  for (const item of items) {
    parts[parts.length - 1] += item.parts[0] ?? '';
    item.values.forEach((value, j) => {
      values.push(value);
      parts.push(item.parts[j + 1] ?? '');
    });
  }
  return new Sql(parts, values);
}
