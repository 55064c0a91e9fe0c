import { BridgeError } from '../../errors.js';
import { attrName, type AttrPath, type Filter } from '../../filter/index.js';
import type { ListSort } from '../model.js';
import { canonicalAttr, canonicalSub, invalidFilter, isSubCaseExact, jsonKeyPath, subType, type AttrDef, type CanonicalAttr } from './attributes.js';
import type { Dialect } from './dialect.js';
import { elementScope, filterToSql, type ElementSource, type Scalar, type Scope, type Target } from './filter-sql.js';
import { raw, sql, type Sql } from './sql.js';

/**
 * Where each User and Group attribute lives in the schema: columns (`id`, `userName`,
 * `externalId`, `displayName`, `meta.*`), side tables (`user_emails` for emails,
 * `group_members` for `groups` and `members`), or the `attributes` JSON document. List queries
 * alias users `u` and groups `g`; element subqueries use `e`, `gm`, `ug` and `mu`.
 */

interface ColumnSpec {
  column: string;
  type?: 'string' | 'boolean' | 'dateTime';
  isCaseExact?: boolean;
  isNullable?: boolean;
}

const shared: Record<string, ColumnSpec> = {
  id: { column: 'id', isCaseExact: true },
  externalId: { column: 'external_id', isCaseExact: true, isNullable: true },
};
// `active` is read from the stored attributes, not the `active` column: the column is the access
// the sync engine applies, which an unassigned `active` leaves as it was, while filters see the
// SCIM view, where an unassigned attribute has no value (docs/scim.md).
const userColumns: Record<string, ColumnSpec> = {
  ...shared,
  userName: { column: 'user_name_ci' },
};
const groupColumns: Record<string, ColumnSpec> = { ...shared, displayName: { column: 'display_name_ci' } };
const metaColumns: Record<string, string> = { created: 'created', lastModified: 'last_modified' };

/** A column as a scalar; case-insensitive text columns hold lower-cased values already. */
function column(label: string, expr: Sql, spec: Omit<ColumnSpec, 'column'>): Scalar {
  const present = spec.isNullable ? sql`(${expr} IS NOT NULL AND ${expr} <> '')` : raw('TRUE');
  return { label, type: spec.type ?? 'string', isCaseExact: spec.isCaseExact ?? false, text: expr, bool: expr, number: expr, present };
}

function jsonScalar(d: Dialect, label: string, doc: Sql, path: readonly string[], type: Scalar['type'], isCaseExact: boolean): Scalar {
  const text = d.jsonText(doc, path);
  return {
    label,
    type,
    isCaseExact,
    text: isCaseExact ? text : d.lower(text),
    bool: d.jsonBool(doc, path),
    number: d.jsonNumber(doc, path),
    present: d.jsonPresent(doc, path),
  };
}

function columnTarget(alias: string, columns: Record<string, ColumnSpec>, attr: CanonicalAttr, label: string): Target | undefined {
  if (attr.extension !== undefined) return undefined;
  if (attr.name === 'meta') {
    const name = attr.sub === undefined ? undefined : metaColumns[attr.sub];
    if (name === undefined) throw invalidFilter(`"${label}" is not filterable: use meta.created or meta.lastModified`);
    return { kind: 'scalar', scalar: column(label, raw(`${alias}.${name}`), { type: 'dateTime' }) };
  }
  const spec = Object.hasOwn(columns, attr.name) ? columns[attr.name] : undefined;
  if (spec === undefined) return undefined;
  if (attr.sub !== undefined) throw invalidFilter(`"${label}" has no sub-attributes`);
  return { kind: 'scalar', scalar: column(label, raw(`${alias}.${spec.column}`), spec) };
}

/** Any attribute kept in the `attributes` JSON document. */
function jsonTarget(d: Dialect, doc: Sql, attr: CanonicalAttr, label: string): Target {
  const def = attr.def;
  if (def?.isMultiValued) {
    const path = jsonKeyPath({ ...attr, sub: undefined });
    const source: ElementSource = {
      def,
      some: (condition) => sql`EXISTS (SELECT 1 FROM ${d.jsonElements(doc, path, 'e')} WHERE ${condition})`,
      sub: (name) => jsonScalar(d, `${attr.name}.${name}`, d.elementDoc('e'), [name], subType(name), isSubCaseExact(name)),
    };
    return { kind: 'multi', source, ...(attr.sub !== undefined ? { sub: attr.sub } : {}) };
  }
  if (def?.subs !== undefined && attr.sub === undefined && def.defaultSub === undefined) {
    return { kind: 'scalar', scalar: jsonScalar(d, label, doc, jsonKeyPath(attr), 'complex', false) };
  }
  // `manager eq "x"` means manager.value.
  const sub = attr.sub ?? def?.defaultSub;
  const type: Scalar['type'] = def === undefined ? 'unknown' : sub !== undefined ? subType(sub) : (def.type ?? 'string');
  const isCaseExact = def?.isCaseExact === true || (sub !== undefined && isSubCaseExact(sub));
  const path = jsonKeyPath({ ...attr, ...(sub !== undefined ? { sub } : {}) });
  return { kind: 'scalar', scalar: jsonScalar(d, label, doc, path, type, isCaseExact) };
}

function tableSource(def: AttrDef, some: (condition: Sql) => Sql, subs: Record<string, Scalar>): ElementSource {
  return {
    def,
    some,
    sub(name) {
      const scalar = Object.hasOwn(subs, name) ? subs[name] : undefined;
      if (scalar === undefined) throw invalidFilter(`"${def.name}.${name}" is not filterable`);
      return scalar;
    },
  };
}

const emailSubs: Record<string, Scalar> = {
  value: column('emails.value', raw('e.value_ci'), {}),
  type: column('emails.type', raw('e.type_ci'), { isNullable: true }),
  primary: column('emails.primary', raw('e.is_primary'), { type: 'boolean' }),
};

const membersFrom = raw('group_members gm JOIN users mu ON mu.connection = gm.connection AND mu.id = gm.member_id');

function membersSource(def: AttrDef, connection: string): ElementSource {
  return tableSource(def, (c) => sql`g.id IN (SELECT gm.group_id FROM ${membersFrom} WHERE gm.connection = ${connection} AND ${c})`, {
    value: column('members.value', raw('gm.member_id'), { isCaseExact: true }),
    display: column('members.display', raw('mu.user_name_ci'), {}),
  });
}

/** Resolves User attributes (rows aliased `u`). */
export function userScope(d: Dialect, connection: string): Scope {
  return {
    resolve(path: AttrPath, subs: readonly string[]): Target {
      const attr = canonicalAttr('User', path);
      const label = attrName(path);
      const columnHit = columnTarget('u', userColumns, attr, label);
      if (columnHit) return columnHit;
      const sub = attr.sub !== undefined ? { sub: attr.sub } : {};
      if (attr.extension === undefined && attr.def && attr.name === 'emails' && subs.every((s) => Object.hasOwn(emailSubs, canonicalSub(attr.def, s)))) {
        const some = (c: Sql): Sql => sql`u.id IN (SELECT e.user_id FROM user_emails e WHERE e.connection = ${connection} AND ${c})`;
        return { kind: 'multi', source: tableSource(attr.def, some, emailSubs), ...sub };
      }
      if (attr.extension === undefined && attr.def && attr.name === 'groups') {
        const some = (c: Sql): Sql =>
          sql`u.id IN (SELECT gm.member_id FROM group_members gm JOIN groups ug ON ug.connection = gm.connection AND ug.id = gm.group_id WHERE gm.connection = ${connection} AND ${c})`;
        const groupSubs = {
          value: column('groups.value', raw('gm.group_id'), { isCaseExact: true }),
          display: column('groups.display', raw('ug.display_name_ci'), {}),
        };
        return { kind: 'multi', source: tableSource(attr.def, some, groupSubs), ...sub };
      }
      return jsonTarget(d, raw('u.attributes'), attr, label);
    },
  };
}

/** Resolves Group attributes (rows aliased `g`). */
export function groupScope(d: Dialect, connection: string): Scope {
  return {
    resolve(path: AttrPath): Target {
      const attr = canonicalAttr('Group', path);
      const label = attrName(path);
      const columnHit = columnTarget('g', groupColumns, attr, label);
      if (columnHit) return columnHit;
      if (attr.extension === undefined && attr.def && attr.name === 'members') {
        return { kind: 'multi', source: membersSource(attr.def, connection), ...(attr.sub !== undefined ? { sub: attr.sub } : {}) };
      }
      return jsonTarget(d, raw('g.attributes'), attr, label);
    },
  };
}

/** A query for the member ids of one group that match a member filter (`members[value eq "x"]`). */
export function matchingMemberIds(d: Dialect, connection: string, groupId: string, filter: Filter): Sql {
  const source = membersSource({ name: 'members', subs: ['value', 'display'] }, connection);
  const condition = filterToSql(filter, elementScope(source), d);
  return sql`SELECT gm.member_id FROM ${membersFrom} WHERE gm.connection = ${connection} AND gm.group_id = ${groupId} AND ${condition}`;
}

/**
 * ORDER BY for a list: the sort key (nulls last) when asked, then (created, id) so pages are
 * stable; `isReversed` gives the same order backwards, for a page cut from the end.
 */
export function orderBy(scope: Scope, d: Dialect, alias: string, sort: ListSort | undefined, isReversed = false): Sql {
  // Every term's direction flips for the reverse order: the order is total, so the reverse is exact.
  const [asc, desc] = isReversed ? [' DESC', ' ASC'] : [' ASC', ' DESC'];
  const nullsLast = isReversed ? ' DESC' : '';
  const tie = isReversed ? raw(`${alias}.created DESC, ${alias}.id DESC`) : raw(`${alias}.created, ${alias}.id`);
  if (sort === undefined) return tie;
  const target = scope.resolve(sort.by, sort.by.sub === undefined ? [] : [sort.by.sub]);
  const label = attrName(sort.by);
  if (target.kind !== 'scalar' || target.scalar.type === 'complex') {
    throw new BridgeError('INVALID_VALUE', `sortBy "${label}": sorting needs a singular attribute`);
  }
  const { scalar } = target;
  const key = scalar.type === 'boolean' ? scalar.bool : scalar.type === 'dateTime' ? scalar.number : d.ordered(scalar.text);
  return sql`CASE WHEN ${key} IS NULL THEN 1 ELSE 0 END${raw(nullsLast)}, ${key}${raw(sort.descending ? desc : asc)}, ${tie}`;
}
