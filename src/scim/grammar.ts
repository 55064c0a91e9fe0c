import { BridgeError } from '../errors.js';
import * as grammar from '../filter/index.js';
import type { AttrPath, Filter, PatchPath } from '../filter/index.js';

/**
 * The filter grammar (`src/filter/`) as the SCIM layer uses it: the same parsers, with a
 * refusal turned into the BridgeError of the same code (INVALID_FILTER, INVALID_PATH), which
 * `src/http/errors.ts` answers as RFC 7644 §3.12 says.
 */

function bridged<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (grammar.isFilterError(err)) throw new BridgeError(err.code, err.message, { cause: err });
    throw err;
  }
}

/** Parses a `filter` (query parameter or SearchRequest); throws INVALID_FILTER. */
export const parseFilter = (text: string): Filter => bridged(() => grammar.parseFilter(text));

/** Parses a PATCH `path`; throws INVALID_PATH. */
export const parsePatchPath = (text: string): PatchPath => bridged(() => grammar.parsePatchPath(text));

/** Parses `[urn:...:]attr[.sub]`; throws INVALID_PATH. */
export const parseAttrPath = (text: string): AttrPath => bridged(() => grammar.parseAttrPath(text));
