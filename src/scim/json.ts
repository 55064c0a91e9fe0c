/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Narrows a parsed JSON value to an object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
