import { matches, parsePatchPath, type Filter, type PatchPath } from '../filter/index.js';
import type { Checked } from './roles.js';

/**
 * SCIM attribute paths in mapping files (`roles.value`, `emails[primary eq true].value`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`) and the values they
 * select in a user's attributes. Parsing is the filter grammar's (src/filter/, RFC 7644 §3.5.2 PATCH paths).
 */

/** A path as written in the file, with its parsed form. */
export interface AttributePath {
  text: string;
  parsed: PatchPath;
}

const coreUserSchema = 'urn:ietf:params:scim:schemas:core:2.0:user';

/** Parses a mapping path; the message says why it is not one. */
export function parseAttributePath(text: string): Checked<AttributePath> {
  try {
    return { ok: true, value: { text, parsed: parsePatchPath(text) } };
  } catch (err) {
    return { ok: false, message: `not a SCIM attribute path: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Every value the path selects, as strings: multi-valued attributes yield each element, a
 * complex value without a sub-attribute yields its `value`, and a JSON object string (Entra's
 * stringified role, Microsoft Learn, provisioning a role to a SCIM app) yields itself plus its `value`, `displayName` and `id`.
 */
export function valuesAt(attributes: Record<string, unknown>, ref: AttributePath): string[] {
  const { path, filter, sub } = ref.parsed;
  let selected = listOf(readAttribute(attributes, path.schema, path.attr));
  if (filter) selected = selected.filter((element) => matchesLoosely(filter, element));
  const subName = sub ?? path.sub;
  if (subName !== undefined) selected = selected.flatMap((element) => listOf(field(element, subName)));
  return selected.flatMap(scalarValues);
}

/** Core attributes sit at the top; extension attributes under their schema URN (keys compared case-insensitively). */
function readAttribute(attributes: Record<string, unknown>, schema: string | undefined, attr: string): unknown {
  if (schema === undefined || schema.toLowerCase() === coreUserSchema) return field(attributes, attr);
  return field(field(attributes, schema), attr) ?? field(attributes, `${schema}:${attr}`);
}

function field(value: unknown, name: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const wanted = name.toLowerCase();
  const key = Object.keys(value).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}

const listOf = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

// Entra may send booleans as strings ("False" without aadOptscim062020, `primary: "false"`:
// Microsoft Learn, SCIM known issues and provisioning a role to a SCIM app): `[primary eq true]`
// also matches an element whose `primary` is the string "true".
function matchesLoosely(filter: Filter, element: unknown): boolean {
  if (matches(filter, element)) return true;
  if (element === null || typeof element !== 'object' || Array.isArray(element)) return false;
  const coerced = Object.fromEntries(
    Object.entries(element).map(([key, value]) => [key, typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value]),
  );
  return matches(filter, coerced);
}

function scalarValues(value: unknown): string[] {
  if (typeof value === 'string') return [value, ...stringifiedObjectValues(value)];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return listOf(field(value, 'value')).flatMap(scalarValues);
  return [];
}

// Entra's SingleAppRoleAssignment PATCH sends `{"value":"{\"id\":\"06b0…\",\"value\":\"25\",\"displayName\":\"Role1234\"}"}` (Microsoft Learn, provisioning a role to a SCIM app).
function stringifiedObjectValues(text: string): string[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return [];
  }
  return ['value', 'displayName', 'id']
    .map((name) => field(parsed, name))
    .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
    .map(String);
}
