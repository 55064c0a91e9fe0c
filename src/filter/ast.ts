/**
 * The SCIM filter and attribute-path AST (RFC 7644 §3.4.2.2, §3.5.2, §3.10). Plain data: the
 * store translates it to SQL, PATCH and the mapping evaluate it in memory.
 */

/** A comparison operator. */
export type Comparator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A literal on the right of a comparison. */
export type FilterValue = string | number | boolean | null;

/** `[urn:...:]attr[.sub]`; names keep the client's spelling, compare them case-insensitively. */
export interface AttrPath {
  /** Schema URN when the path was fully qualified (extension attributes). */
  schema?: string;
  attr: string;
  sub?: string;
}

/** A parsed filter. `has` is `attr[inner]`: some element of a multi-valued attribute matches `inner`. */
export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'compare'; path: AttrPath; op: Comparator; value: FilterValue }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'has'; path: AttrPath; filter: Filter };

/** A PATCH path: `attr`, `attr.sub`, `attr[filter]`, or `attr[filter].sub`. */
export interface PatchPath {
  path: AttrPath;
  filter?: Filter;
  /** Sub-attribute after a value filter (`emails[type eq "work"].value`). */
  sub?: string;
}

/** Joins an {@link AttrPath} back into its dotted form (without the schema). */
export function attrName(path: AttrPath): string {
  return path.sub === undefined ? path.attr : `${path.attr}.${path.sub}`;
}
