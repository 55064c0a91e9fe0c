import { isStorableText } from '../filter/index.js';

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Narrows a parsed JSON value to an object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** How deep a SCIM body may nest; real ones nest three levels (an extension's manager.value). */
export const MAX_JSON_DEPTH = 32;

/** What is wrong with a parsed request value, if anything: too deep, or a key or string that cannot be stored. */
export type JsonProblem = { kind: 'depth' } | { kind: 'text'; at: string };

/** Finds the first problem in a JSON value, walking it without recursion (a deep body cannot exhaust the stack). */
export function findJsonProblem(value: unknown): JsonProblem | undefined {
  const pending: { value: unknown; at: string; depth: number }[] = [{ value, at: '', depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (typeof item.value === 'string') {
      if (!isStorableText(item.value)) return { kind: 'text', at: item.at || '(value)' };
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= MAX_JSON_DEPTH) return { kind: 'depth' };
    for (const [key, child] of Object.entries(item.value)) {
      const at = Array.isArray(item.value) ? `${item.at}[${key}]` : item.at === '' ? key : `${item.at}.${key}`;
      if (!isStorableText(key)) return { kind: 'text', at: item.at || '(key)' };
      pending.push({ value: child, at, depth: item.depth + 1 });
    }
  }
  return undefined;
}
