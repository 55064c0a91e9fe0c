import { join, raw, sql, type Sql } from './sql.js';

/**
 * What differs between SQLite and PostgreSQL, and nothing else: placeholders, JSON access,
 * string functions, row locks and column types. Every statement is written once against this.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  placeholder(index: number): string;
  /** A bound JSON document (SQLite: TEXT; PostgreSQL: jsonb). */
  json(value: unknown): Sql;
  /** A subquery listing the given strings in a column named `value` (one parameter, any length). */
  list(values: readonly string[]): Sql;
  /** An aggregate: the JSON array of `[item, ...]` arrays of the group's rows, in `order`; SQL NULL or `[]` when none. */
  jsonRows(items: readonly Sql[], order: Sql): Sql;
  /** The JSON value at `path` of `doc`, as SQL text (strings unquoted); NULL when absent. */
  jsonText(doc: Sql, path: readonly string[]): Sql;
  /** The JSON boolean at `path` as a value comparable to a bound boolean; NULL for other types. */
  jsonBool(doc: Sql, path: readonly string[]): Sql;
  /** The JSON number at `path` as a SQL number; NULL for other types. */
  jsonNumber(doc: Sql, path: readonly string[]): Sql;
  /** True when the JSON value at `path` is present: not null, not "", not []. */
  jsonPresent(doc: Sql, path: readonly string[]): Sql;
  /** A FROM item over the elements of the JSON array at `path`, aliased `alias`. */
  jsonElements(doc: Sql, path: readonly string[], alias: string): Sql;
  /** The element of {@link jsonElements} as a JSON document (objects only). */
  elementDoc(alias: string): Sql;
  /** Unicode lower case, identical to JavaScript's `toLowerCase` (how *_ci columns are computed). */
  lower(expr: Sql): Sql;
  /** Text compared byte-wise for ordering (`gt`, sort), as SQLite's default BINARY collation. */
  ordered(expr: Sql): Sql;
  contains(haystack: Sql, needle: string): Sql;
  startsWith(haystack: Sql, needle: string): Sql;
  endsWith(haystack: Sql, needle: string): Sql;
  least(a: Sql, b: Sql): Sql;
  greatest(a: Sql, b: Sql): Sql;
  /**
   * The database's clock in epoch milliseconds (an integer), one value per statement. Leases,
   * due times and coordination state are compared with it only, never with a caller's clock:
   * replicas whose clocks disagree still agree on who holds what.
   */
  readonly now: Sql;
  /** `array` with `value` appended, dropping the oldest element beyond `max`. */
  appendCapped(array: Sql, value: string, max: number): Sql;
  /**
   * A DELETE and the statement to run after it, as the statements to run: one on PostgreSQL
   * (the DELETE in a data-modifying WITH: one round trip; both parts see one snapshot, so they
   * must touch different rows), two on SQLite, which has no such WITH. The last one's result is
   * the main statement's.
   */
  beside(deletion: Sql, main: Sql): Sql[];
  /** Whether a statement may write in its WITH clauses (PostgreSQL), so dependent writes go in one round trip. */
  readonly writesInWith: boolean;
  /** Row-lock clauses; empty on SQLite, where write transactions are already exclusive. */
  readonly lock: { update: Sql; noKeyUpdate: Sql; keyShare: Sql; skipLocked: Sql };
  /** Column types for the DDL. */
  readonly types: { text: string; json: string; bool: string; bigint: string; double: string; autoId: string };
}

const jsonPathText = (path: readonly string[]): string => `$${path.map((key) => `."${key}"`).join('')}`;
const text = (value: string): Sql => sql`CAST(${value} AS TEXT)`;

/** SQLite 3.38+ (JSON built in; `scim_lower` is registered by the store). */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  placeholder: () => '?',
  json: (value) => sql`${JSON.stringify(value)}`,
  list: (values) => sql`SELECT value FROM json_each(${JSON.stringify(values)})`,
  jsonRows: (items, order) => sql`json_group_array(json_array(${join(items, ', ')}) ORDER BY ${order})`,
  jsonText: (doc, path) => sql`json_extract(${doc}, ${jsonPathText(path)})`,
  jsonBool: (doc, path) => sql`(CASE json_type(${doc}, ${jsonPathText(path)}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)`,
  jsonNumber: (doc, path) => {
    const p = jsonPathText(path);
    return sql`(CASE WHEN json_type(${doc}, ${p}) IN ('integer', 'real') THEN json_extract(${doc}, ${p}) END)`;
  },
  jsonPresent: (doc, path) => {
    const p = jsonPathText(path);
    return sql`(CASE json_type(${doc}, ${p}) WHEN 'null' THEN 0 WHEN 'text' THEN json_extract(${doc}, ${p}) <> '' WHEN 'array' THEN json_array_length(${doc}, ${p}) > 0 ELSE json_type(${doc}, ${p}) IS NOT NULL END)`;
  },
  jsonElements: (doc, path, alias) => sql`json_each(${doc}, ${jsonPathText(path)}) AS ${raw(alias)}`,
  // json_each yields objects as JSON text; a scalar element is not a document.
  elementDoc: (alias) => raw(`(CASE WHEN ${alias}.type = 'object' THEN ${alias}.value END)`),
  lower: (expr) => sql`scim_lower(${expr})`,
  ordered: (expr) => expr,
  contains: (h, n) => sql`instr(${h}, ${text(n)}) > 0`,
  startsWith: (h, n) => sql`substr(${h}, 1, length(${text(n)})) = ${text(n)}`,
  endsWith: (h, n) => sql`(length(${h}) >= length(${text(n)}) AND substr(${h}, length(${h}) - length(${text(n)}) + 1) = ${text(n)})`,
  least: (a, b) => sql`min(${a}, ${b})`,
  greatest: (a, b) => sql`max(${a}, ${b})`,
  // julianday('now') is the same for every use within one statement (sqlite.org/lang_datefunc.html).
  now: raw(`CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)`),
  appendCapped: (array, value, max) =>
    sql`json_insert(CASE WHEN json_array_length(${array}) >= ${max} THEN json_remove(${array}, '$[0]') ELSE ${array} END, '$[#]', ${text(value)})`,
  beside: (deletion, main) => [deletion, main],
  writesInWith: false,
  lock: { update: raw(''), noKeyUpdate: raw(''), keyShare: raw(''), skipLocked: raw('') },
  types: { text: 'TEXT', json: 'TEXT', bool: 'INTEGER', bigint: 'INTEGER', double: 'REAL', autoId: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
};

const pgPath = (path: readonly string[]): Sql => sql`CAST(${[...path]} AS text[])`;

/** PostgreSQL 12+. Text columns are `COLLATE "C"`, so ordering matches SQLite's byte order. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  placeholder: (index) => `$${index}`,
  json: (value) => sql`CAST(${JSON.stringify(value)} AS jsonb)`,
  list: (values) => sql`SELECT value FROM jsonb_array_elements_text(CAST(${JSON.stringify(values)} AS jsonb)) AS list(value)`,
  jsonRows: (items, order) => sql`json_agg(json_build_array(${join(items, ', ')}) ORDER BY ${order})`,
  jsonText: (doc, path) => sql`(${doc} #>> ${pgPath(path)})`,
  jsonBool: (doc, path) =>
    sql`(CASE WHEN jsonb_typeof(${doc} #> ${pgPath(path)}) = 'boolean' THEN CAST(${doc} #>> ${pgPath(path)} AS boolean) END)`,
  jsonNumber: (doc, path) =>
    sql`(CASE WHEN jsonb_typeof(${doc} #> ${pgPath(path)}) = 'number' THEN CAST(${doc} #>> ${pgPath(path)} AS numeric) END)`,
  jsonPresent: (doc, path) => {
    const v = sql`${doc} #> ${pgPath(path)}`;
    return sql`COALESCE(CASE jsonb_typeof(${v}) WHEN 'null' THEN false WHEN 'string' THEN (${doc} #>> ${pgPath(path)}) <> '' WHEN 'array' THEN jsonb_array_length(${v}) > 0 ELSE (${v}) IS NOT NULL END, false)`;
  },
  jsonElements: (doc, path, alias) => {
    const v = sql`${doc} #> ${pgPath(path)}`;
    return sql`jsonb_array_elements(CASE WHEN jsonb_typeof(${v}) = 'array' THEN ${v} ELSE '[]'::jsonb END) AS ${raw(alias)}(value)`;
  },
  elementDoc: (alias) => raw(`${alias}.value`),
  lower: (expr) => sql`lower(${expr})`,
  ordered: (expr) => sql`(${expr}) COLLATE "C"`,
  contains: (h, n) => sql`strpos(${h}, ${text(n)}) > 0`,
  startsWith: (h, n) => sql`left(${h}, length(${text(n)})) = ${text(n)}`,
  endsWith: (h, n) => sql`right(${h}, length(${text(n)})) = ${text(n)}`,
  least: (a, b) => sql`LEAST(${a}, ${b})`,
  greatest: (a, b) => sql`GREATEST(${a}, ${b})`,
  // statement_timestamp() is fixed for one statement, also inside a longer transaction (PostgreSQL docs, 9.9.5).
  now: raw('CAST(floor(extract(epoch FROM statement_timestamp()) * 1000) AS BIGINT)'),
  appendCapped: (array, value, max) =>
    sql`((CASE WHEN jsonb_array_length(${array}) >= ${max} THEN ${array} - 0 ELSE ${array} END) || jsonb_build_array(${text(value)}))`,
  beside: (deletion, main) => [sql`WITH deleted AS (${deletion}) ${main}`],
  writesInWith: true,
  lock: {
    update: raw(' FOR UPDATE'),
    noKeyUpdate: raw(' FOR NO KEY UPDATE'),
    keyShare: raw(' FOR KEY SHARE'),
    skipLocked: raw(' FOR UPDATE SKIP LOCKED'),
  },
  types: { text: 'text COLLATE "C"', json: 'jsonb', bool: 'boolean', bigint: 'bigint', double: 'double precision', autoId: 'bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY' },
};
