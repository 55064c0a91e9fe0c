import { BridgeError } from '../errors.js';
import type { AttrPath } from '../filter/index.js';
import { parseAttrPath } from './grammar.js';
import { GROUP_SCHEMA, USER_SCHEMA } from './schemas.js';
import { isJsonObject as isObject, type JsonObject as Json } from './json.js';

/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.9). `schemas`, `id` and `meta` are always
 * returned. Paths may be dotted (`name.givenName`) or schema-qualified, and match in any case.
 */

const always = new Set(['schemas', 'id', 'meta']);

/** One requested path: the top-level key (an extension URN or an attribute), then inner names. */
type Path = string[];

/** What to keep or drop. */
export interface Projection {
  include?: Path[];
  exclude?: Path[];
}

/** Parses the two query parameters; `attributes` wins when both are given (RFC 7644 §3.4.2.5). */
export function parseProjection(attributes: unknown, excludedAttributes: unknown): Projection {
  const include = parseList(attributes, 'attributes');
  if (include) return { include };
  const exclude = parseList(excludedAttributes, 'excludedAttributes');
  return exclude ? { exclude } : {};
}

function parseList(raw: unknown, name: string): Path[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new BridgeError('INVALID_SYNTAX', `${name} must be given once, as a comma-separated list`);
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return undefined;
  return items.map((item) => toPath(item, name));
}

const urnOf = /^urn:[^\s[\]"(),]+$/i;

/**
 * One attribute name in the notation of RFC 7644 §3.10: `[urn:...:]attr[.sub]`, or a whole
 * extension's URN. Anything else, a value filter (`emails[type eq "work"]`) included, is refused
 * with INVALID_PATH rather than silently matching nothing.
 */
function toPath(text: string, name: string): Path {
  const refuse = (): never => {
    throw new BridgeError('INVALID_PATH', `${name}: "${text.slice(0, 200)}" is not an attribute name ([urn:...:]attribute[.subAttribute], RFC 7644 §3.10; no filters)`);
  };
  const lower = text.toLowerCase();
  if (lower.startsWith('urn:')) {
    const cut = text.lastIndexOf(':');
    const last = text.slice(cut + 1);
    // `urn:...:User` names a whole extension; `urn:...:User:department.x` one of its attributes.
    if (/^[A-Z][A-Za-z0-9]*$/.test(last)) {
      if (!urnOf.test(text)) refuse();
      return [text];
    }
  }
  let path: AttrPath;
  try {
    path = parseAttrPath(text);
  } catch {
    return refuse();
  }
  if (path.schema !== undefined && !urnOf.test(path.schema)) refuse();
  const names = [path.attr, ...(path.sub !== undefined ? [path.sub] : [])];
  const isCore = path.schema === undefined || [USER_SCHEMA, GROUP_SCHEMA].some((core) => core.toLowerCase() === path.schema?.toLowerCase());
  return isCore ? names : [path.schema as string, ...names];
}

/** Applies a projection to one rendered resource. */
export function project(resource: Json, projection: Projection): Json {
  if (projection.include) {
    const out: Json = {};
    for (const [key, value] of Object.entries(resource)) if (always.has(key)) out[key] = value;
    for (const path of projection.include) copyPath(resource, out, path);
    return out;
  }
  if (projection.exclude) {
    let out: Json = { ...resource };
    for (const path of projection.exclude) out = dropPath(out, path);
    return out;
  }
  return resource;
}

const findKey = (object: Json, name: string): string | undefined => Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());

function copyPath(source: Json, target: Json, path: Path): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = findKey(source, head);
  if (key === undefined) return;
  const value = source[key];
  if (rest.length === 0) {
    target[key] = value;
  } else if (Array.isArray(value)) {
    const existing = Array.isArray(target[key]) ? (target[key] as Json[]) : value.map(() => ({}));
    value.forEach((item, i) => isObject(item) && copyPath(item, existing[i] as Json, rest));
    target[key] = existing;
  } else if (isObject(value)) {
    const inner = isObject(target[key]) ? (target[key] as Json) : {};
    copyPath(value, inner, rest);
    target[key] = inner;
  }
}

function dropPath(source: Json, path: Path): Json {
  const [head, ...rest] = path;
  const key = head === undefined ? undefined : findKey(source, head);
  if (key === undefined || always.has(key)) return source;
  const out = { ...source };
  if (rest.length === 0) {
    delete out[key];
    return out;
  }
  const value = source[key];
  if (Array.isArray(value)) out[key] = value.map((item) => (isObject(item) ? dropPath(item, rest) : item));
  else if (isObject(value)) out[key] = dropPath(value, rest);
  return out;
}

/** Whether the projection asks for group members (so a list need not load them). */
export function wantsMembers(projection: Projection): boolean {
  const isMembers = (p: Path): boolean => p[0]?.toLowerCase() === 'members';
  if (projection.include) return projection.include.some(isMembers);
  return !(projection.exclude ?? []).some((p) => isMembers(p) && p.length === 1);
}
