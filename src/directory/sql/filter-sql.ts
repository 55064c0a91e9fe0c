import { attrName, type AttrPath, type Comparator, type Filter, type FilterValue } from '../../filter/index.js';
import { canonicalSub, invalidFilter, type AttrDef } from './attributes.js';
import type { Dialect } from './dialect.js';
import { raw, sql, type Sql } from './sql.js';

/**
 * Translates a SCIM filter AST (RFC 7644 §3.4.2.2) into a parameterised SQL condition that the
 * database evaluates. Which column, JSON path or element table an attribute lives in is the
 * {@link Scope}'s business (`scopes.ts`); this module owns the operator semantics:
 * - `ne` is `not eq`: it matches a missing attribute, and on a multi-valued attribute it means
 *   "no element equals"; `eq null` is `not pr`.
 * - `not` is pushed down to the leaves, each made two-valued (`NOT COALESCE(c, FALSE)`), so a
 *   SQL NULL never turns `not (title eq "x")` into "no match" for a user without a title.
 * - Positive leaves stay plain (`u.user_name_ci = ?`) so indexes serve `userName eq`.
 */

/** One comparable value of a resource: a column, a JSON value, or a sub-attribute of an element. */
export interface Scalar {
  /** The attribute as the client wrote it, for error messages. */
  label: string;
  /** `complex`: a complex attribute without sub-attribute, which only `pr` can test. */
  type: 'string' | 'boolean' | 'dateTime' | 'unknown' | 'complex';
  isCaseExact: boolean;
  /** For strings: the value as text, already lower-cased when not case-exact. */
  text: Sql;
  bool: Sql;
  /** For numbers and dateTimes (epoch milliseconds). */
  number: Sql;
  present: Sql;
}

/** The elements of a multi-valued attribute (a side table or a JSON array). */
export interface ElementSource {
  def: AttrDef;
  /** A condition on the owning resource: some element satisfies `condition`. */
  some(condition: Sql): Sql;
  /** A sub-attribute of an element (canonical name). */
  sub(name: string): Scalar;
}

/** What an attribute path resolves to. */
export type Target = { kind: 'scalar'; scalar: Scalar } | { kind: 'multi'; source: ElementSource; sub?: string };

/** Resolves attribute paths for one resource type. `subs` lists the sub-attributes the filter uses on the path. */
export interface Scope {
  resolve(path: AttrPath, subs: readonly string[]): Target;
}

/** Translates a filter into a SQL condition in `scope`. Throws INVALID_FILTER. */
export function filterToSql(filter: Filter, scope: Scope, d: Dialect): Sql {
  return translate(filter, false, scope, d);
}

function translate(filter: Filter, negated: boolean, scope: Scope, d: Dialect): Sql {
  if (filter.kind === 'and' || filter.kind === 'or') {
    const joiner = (filter.kind === 'and') !== negated ? ' AND ' : ' OR ';
    return sql`(${translate(filter.left, negated, scope, d)}${raw(joiner)}${translate(filter.right, negated, scope, d)})`;
  }
  if (filter.kind === 'not') return translate(filter.filter, !negated, scope, d);
  const condition = leaf(filter as Leaf, scope, d);
  return negated ? not(condition) : condition;
}

const not = (condition: Sql): Sql => sql`NOT COALESCE(${condition}, FALSE)`;
const always = raw('TRUE');

type Leaf = Extract<Filter, { kind: 'compare' | 'present' | 'has' }>;

function leaf(filter: Leaf, scope: Scope, d: Dialect): Sql {
  if (filter.kind === 'has') {
    const target = scope.resolve(filter.path, namesIn(filter.filter));
    if (target.kind !== 'multi' || target.sub !== undefined) {
      throw invalidFilter(`"${attrName(filter.path)}[...]": a value filter needs a multi-valued attribute`);
    }
    return target.source.some(translate(filter.filter, false, elementScope(target.source), d));
  }
  const target = scope.resolve(filter.path, filter.path.sub === undefined ? [] : [filter.path.sub]);
  if (target.kind === 'scalar') {
    return filter.kind === 'present' ? target.scalar.present : compare(target.scalar, filter.op, filter.value, d);
  }
  const { source } = target;
  if (filter.kind === 'present') return source.some(target.sub === undefined ? always : source.sub(target.sub).present);
  const element = source.sub(target.sub ?? source.def.defaultSub ?? 'value');
  if (filter.value === null) return compare(element, filter.op, null, d, source);
  return filter.op === 'ne' ? not(source.some(compare(element, 'eq', filter.value, d))) : source.some(compare(element, filter.op, filter.value, d));
}

/** The scope inside a value filter (`emails[type eq "work"]`): names are sub-attributes of an element. */
export function elementScope(source: ElementSource): Scope {
  return {
    resolve(path) {
      if (path.schema !== undefined || path.sub !== undefined) throw invalidFilter(`"${attrName(path)}" is not a sub-attribute`);
      return { kind: 'scalar', scalar: source.sub(canonicalSub(source.def, path.attr)) };
    },
  };
}

/** The attribute names a value filter uses (to pick the element source that can answer them). */
function namesIn(filter: Filter): string[] {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return [...namesIn(filter.left), ...namesIn(filter.right)];
    case 'not':
      return namesIn(filter.filter);
    default:
      return [filter.path.attr];
  }
}

function compare(s: Scalar, op: Comparator, value: FilterValue, d: Dialect, source?: ElementSource): Sql {
  if (value === null) {
    const present = source ? source.some(s.present) : s.present;
    if (op === 'eq') return not(present);
    if (op === 'ne') return present;
    throw invalidFilter(`"${s.label} ${op} null": only eq and ne compare with null`);
  }
  switch (s.type) {
    case 'complex':
      throw invalidFilter(`"${s.label}" is complex: compare one of its sub-attributes`);
    case 'boolean':
      return ordinal(s.bool, op, toBoolean(value, s.label), s.label, false);
    case 'dateTime':
      if (op === 'co' || op === 'sw' || op === 'ew') throw invalidFilter(`"${s.label} ${op}": operator not valid for a date`);
      return ordinal(s.number, op, toInstant(value, s.label), s.label, true);
    case 'unknown':
      if (typeof value === 'boolean') return ordinal(s.bool, op, value, s.label, false);
      if (typeof value === 'number') return ordinal(s.number, op, value, s.label, true);
      return textCompare(s, op, value, d);
    case 'string':
      return textCompare(s, op, String(value), d);
  }
}

const orderOps: Partial<Record<Comparator, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

/** eq/ne and, where `isOrdered`, gt/ge/lt/le; substring operators are invalid. */
function ordinal(expr: Sql, op: Comparator, value: boolean | number, label: string, isOrdered: boolean): Sql {
  if (op === 'eq') return sql`${expr} = ${value}`;
  if (op === 'ne') return not(sql`${expr} = ${value}`);
  const symbol = orderOps[op];
  if (symbol === undefined || !isOrdered) throw invalidFilter(`"${label} ${op}": operator not valid for a ${typeof value === 'boolean' ? 'boolean' : 'number or date'}`);
  return sql`${expr} ${raw(symbol)} ${value}`;
}

function textCompare(s: Scalar, op: Comparator, input: string, d: Dialect): Sql {
  const value = s.isCaseExact ? input : input.toLowerCase();
  switch (op) {
    case 'eq':
      return sql`${s.text} = ${value}`;
    case 'ne':
      return not(sql`${s.text} = ${value}`);
    case 'co':
      return d.contains(s.text, value);
    case 'sw':
      return d.startsWith(s.text, value);
    case 'ew':
      return d.endsWith(s.text, value);
    default:
      return sql`${d.ordered(s.text)} ${raw(orderOps[op] ?? '=')} ${value}`;
  }
}

/** A boolean filter value: true/false, or Entra's "True"/"False" strings (Microsoft's SCIM tutorial). */
function toBoolean(value: Exclude<FilterValue, null>, label: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidFilter(`"${label}" is a boolean: compare it with true or false`);
}

const isoDateTime = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?$/;

/** An ISO 8601 date or date-time as epoch ms; without an offset it is read as UTC. */
export function toInstant(value: Exclude<FilterValue, null>, label: string): number {
  const text = String(value);
  if (typeof value === 'string' && isoDateTime.test(text)) {
    const hasZone = text.length <= 10 || /(?:[Zz]|[+-]\d{2}:\d{2})$/.test(text);
    const ms = Date.parse(hasZone ? text : `${text}Z`);
    if (Number.isFinite(ms)) return ms;
  }
  throw invalidFilter(`"${label}" is a date: "${text.slice(0, 60)}" is not an ISO 8601 date-time`);
}
