/**
 * The SCIM filter and attribute-path grammar (RFC 7644 §3.4.2.2, §3.5.2): parser, AST and an
 * in-memory evaluator. A leaf: it imports nothing of the rest of scim-bridge, so every layer may
 * use it.
 */

export { attrName, type AttrPath, type Comparator, type Filter, type FilterValue, type PatchPath } from './ast.js';
export { FilterError, isFilterError, type FilterErrorCode } from './errors.js';
export { matches } from './matches.js';
export { parseAttrPath, parseFilter, parsePatchPath } from './parse.js';
export { isStorableText } from './text.js';
