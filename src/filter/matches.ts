import type { AttrPath, Comparator, Filter, FilterValue } from './ast.js';

/**
 * Evaluates a filter against one plain object, as RFC 7644 §3.4.2.2 compares: strings
 * case-insensitively, a multi-valued attribute when some element matches.
 */

/** Evaluates a filter against one plain object (used for multi-valued elements in PATCH). */
export function matches(filter: Filter, value: unknown): boolean {
  switch (filter.kind) {
    case 'and':
      return matches(filter.left, value) && matches(filter.right, value);
    case 'or':
      return matches(filter.left, value) || matches(filter.right, value);
    case 'not':
      return !matches(filter.filter, value);
    case 'present': {
      const actual = read(value, filter.path);
      return actual !== undefined && actual !== null && actual !== '' && !(Array.isArray(actual) && actual.length === 0);
    }
    case 'has': {
      const items = read(value, filter.path);
      return Array.isArray(items) && items.some((item) => matches(filter.filter, item));
    }
    case 'compare':
      return compare(read(value, filter.path), filter.op, filter.value);
  }
}

function read(value: unknown, path: AttrPath): unknown {
  const first = field(value, path.attr);
  return path.sub === undefined ? first : Array.isArray(first) ? first.map((f) => field(f, path.sub as string)) : field(first, path.sub);
}

function field(value: unknown, name: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}

function compare(actual: unknown, op: Comparator, expected: FilterValue): boolean {
  if (Array.isArray(actual)) return actual.some((a) => compare(a, op, expected));
  const norm = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);
  const a = norm(actual);
  const e = norm(expected);
  switch (op) {
    case 'eq':
      return expected === null ? actual === undefined || actual === null : a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return typeof a === 'string' && typeof e === 'string' && a.includes(e);
    case 'sw':
      return typeof a === 'string' && typeof e === 'string' && a.startsWith(e);
    case 'ew':
      return typeof a === 'string' && typeof e === 'string' && a.endsWith(e);
    default: {
      if (typeof a !== typeof e || (typeof a !== 'string' && typeof a !== 'number')) return false;
      const [x, y] = [a as string | number, e as string | number];
      return op === 'gt' ? x > y : op === 'ge' ? x >= y : op === 'lt' ? x < y : x <= y;
    }
  }
}
