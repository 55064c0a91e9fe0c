import { BridgeError } from '../errors.js';
import type { AttrPath } from '../filter/index.js';
import { parseAttrPath, parseFilter } from './grammar.js';
import type { ListQuery } from '../directory/model.js';
import { parseProjection, type Projection } from './projection.js';

/** Page size when the client gives none, and the most one page returns (RFC 7644 §3.4.2.4). */
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

/** A parsed list request: the store query and the projection of each resource. */
export interface ListRequest {
  query: ListQuery;
  projection: Projection;
}

type QueryParams = Record<string, unknown>;

/** Reads `filter`, `startIndex`, `count`, `sortBy`, `sortOrder`, `attributes`, `excludedAttributes` (any case). */
export function parseListRequest(params: QueryParams): ListRequest {
  // The first key of each spelling, as the client sent them; looked up by lower-case name.
  const keys = new Map<string, string>();
  for (const key of Object.keys(params)) if (!keys.has(key.toLowerCase())) keys.set(key.toLowerCase(), key);
  const get = (name: string): unknown => params[keys.get(name.toLowerCase()) ?? name];
  const filter = single(get('filter'), 'filter');
  const sortBy = single(get('sortBy'), 'sortBy');
  const sortOrder = single(get('sortOrder'), 'sortOrder');
  if (sortOrder !== undefined && !['ascending', 'descending'].includes(sortOrder.toLowerCase())) {
    throw new BridgeError('INVALID_VALUE', 'sortOrder must be "ascending" or "descending"');
  }
  const query: ListQuery = {
    ...(filter !== undefined && filter.trim() !== '' ? { filter: parseFilter(filter) } : {}),
    startIndex: Math.max(1, integer(get('startIndex'), 'startIndex') ?? 1),
    count: Math.min(MAX_COUNT, Math.max(0, integer(get('count'), 'count') ?? DEFAULT_COUNT)),
    ...(sortBy !== undefined ? { sort: { by: sortPath(sortBy), descending: sortOrder?.toLowerCase() === 'descending' } } : {}),
  };
  return { query, projection: parseProjection(get('attributes'), get('excludedAttributes')) };
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BridgeError('INVALID_SYNTAX', `${name} must be given once`);
  return value;
}

function integer(value: unknown, name: string): number | undefined {
  const text = single(value, name);
  if (text === undefined || text.trim() === '') return undefined;
  const number = Number(text);
  // RFC 7644 §3.4.2.4: startIndex and count are integers; a non-integer is a client error.
  if (!Number.isInteger(number)) throw new BridgeError('INVALID_VALUE', `${name} must be an integer`);
  return number;
}

function sortPath(text: string): AttrPath {
  try {
    return parseAttrPath(text.trim());
  } catch {
    throw new BridgeError('INVALID_VALUE', `sortBy "${text.slice(0, 100)}" is not an attribute path`);
  }
}
