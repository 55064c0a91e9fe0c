import { z } from 'zod';
import { BridgeError } from '../errors.js';
import { isJsonObject } from './json.js';

/**
 * `POST .search` (RFC 7644 §3.4.3): a SearchRequest body becomes the query parameters of the
 * matching GET, so both take one path (filter, paging, sorting, projection). Attribute names in
 * the body are case-insensitive (RFC 7643 §2.1); an unknown one is refused, not ignored.
 */

/** The SearchRequest message URN. */
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

const names = z.union([z.array(z.string()), z.string()], { error: 'expected a list of attribute names' }).transform((v) => (typeof v === 'string' ? v : v.join(',')));
const integer = z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).transform(String);

const searchRequestSchema = z
  .object({
    schemas: z
      .array(z.string(), { error: `expected ["${SEARCH_REQUEST}"]` })
      .refine((list) => list.some((s) => s.toLowerCase() === SEARCH_REQUEST.toLowerCase()), { error: `schemas must list "${SEARCH_REQUEST}"` })
      .optional(),
    attributes: names.optional(),
    excludedattributes: names.optional(),
    filter: z.string({ error: 'expected a filter string' }).optional(),
    sortby: z.string({ error: 'expected an attribute name' }).optional(),
    sortorder: z.string({ error: 'expected "ascending" or "descending"' }).optional(),
    startindex: integer.optional(),
    count: integer.optional(),
  })
  .strict();

const spelled: Record<string, string> = { excludedattributes: 'excludedAttributes', sortby: 'sortBy', sortorder: 'sortOrder', startindex: 'startIndex' };

/** The query parameters a SearchRequest stands for; INVALID_SYNTAX says what is wrong with the body. */
export function searchParams(body: unknown): Record<string, string> {
  if (!isJsonObject(body)) throw new BridgeError('INVALID_SYNTAX', 'a SearchRequest must be a JSON object');
  const lowered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (Object.hasOwn(lowered, key.toLowerCase())) throw new BridgeError('INVALID_SYNTAX', `SearchRequest: "${key.slice(0, 100)}" is given twice`);
    lowered[key.toLowerCase()] = value;
  }
  const parsed = searchRequestSchema.safeParse(lowered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue?.path.join('.') ?? '';
    const message = issue?.code === 'unrecognized_keys' ? 'not a SearchRequest attribute' : issue?.message ?? 'invalid';
    throw new BridgeError('INVALID_SYNTAX', `SearchRequest ${at.slice(0, 100)}: ${message} (RFC 7644 §3.4.3)`);
  }
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.data)) {
    if (key !== 'schemas' && typeof value === 'string') params[spelled[key] ?? key] = value;
  }
  return params;
}
