import { BridgeError } from '../errors.js';

/**
 * SCIM filter and attribute-path parsing (RFC 7644 §3.4.2.2 and §3.5.2), to an AST that the
 * store translates to SQL and PATCH uses to pick multi-valued elements. A real recursive-descent
 * parser: precedence `not` > `and` > `or`, nested parentheses, bounded length and depth.
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

// NUL and lone surrogates cannot be stored as sent: PostgreSQL text and jsonb refuse NUL, and a
// lone surrogate becomes U+FFFD on its way to either database (RFC 8259 §8.2: not interoperable).
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether the directory can store a string and give it back exactly: no NUL, no lone surrogate. */
export function isStorableText(text: string): boolean {
  return !unstorable.test(text);
}

const MAX_LENGTH = 4096;
const MAX_DEPTH = 32;
const comparators = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; text: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: '(' | ')' | '[' | ']'; at: number };

const invalid = (message: string): BridgeError => new BridgeError('INVALID_FILTER', message);

function tokenize(input: string): Token[] {
  if (input.length > MAX_LENGTH) throw invalid(`filter is longer than ${MAX_LENGTH} characters`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if ('()[]'.includes(ch)) {
      tokens.push({ type: ch as '(' | ')' | '[' | ']', at: i });
      i++;
    } else if (ch === '"') {
      const end = scanString(input, i);
      const text = JSON.parse(input.slice(i, end)) as string;
      // "\u0000" or a lone "\ud800": no stored value can equal it, and PostgreSQL refuses NUL parameters.
      if (!isStorableText(text)) throw invalid(`the string at position ${i + 1} holds a NUL character or a lone surrogate`);
      tokens.push({ type: 'string', text, at: i });
      i = end;
    } else {
      const match = /^[^\s()[\]"]+/.exec(input.slice(i));
      const text = match?.[0] ?? ch;
      // A number only when it reads back as written: `000123` or a 20-digit id in Entra's unquoted
      // `externalId eq 000123` (sheet §6.3) stays the string it is, not 123 or a rounded float.
      const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(text) ? Number(text) : NaN;
      const isExact = Number.isFinite(number) && String(number) === text;
      tokens.push(isExact ? { type: 'number', value: number, at: i } : { type: 'word', text, at: i });
      i += text.length;
    }
  }
  return tokens;
}

function scanString(input: string, start: number): number {
  let i = start + 1;
  while (i < input.length) {
    if (input[i] === '\\') i += 2;
    else if (input[i] === '"') {
      const literal = input.slice(start, i + 1);
      try {
        JSON.parse(literal);
      } catch {
        throw invalid(`invalid string literal at position ${start + 1}`);
      }
      return i + 1;
    } else i++;
  }
  throw invalid(`unterminated string starting at position ${start + 1}`);
}

/** Splits `urn:...:User:manager.value` or `name.givenName` into an {@link AttrPath}. */
export function parseAttrPath(text: string): AttrPath {
  let schema: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const cut = text.lastIndexOf(':');
    schema = text.slice(0, cut);
    rest = text.slice(cut + 1);
  }
  const parts = rest.split('.');
  const [attr, sub, ...extra] = parts;
  const nameOk = (s: string | undefined): s is string => s !== undefined && /^\$?[A-Za-z][\w$-]*$/.test(s);
  if (!nameOk(attr) || (sub !== undefined && !nameOk(sub)) || extra.length > 0) {
    throw new BridgeError('INVALID_PATH', `invalid attribute path "${text.slice(0, 200)}"`);
  }
  return { ...(schema ? { schema } : {}), attr, ...(sub !== undefined ? { sub } : {}) };
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): Filter {
    if (this.tokens.length === 0) throw invalid('filter is empty');
    const filter = this.parseOr();
    const rest = this.tokens[this.pos];
    if (rest) throw invalid(`unexpected ${describe(rest)} at position ${rest.at + 1}`);
    return filter;
  }

  private peekWord(...words: string[]): boolean {
    const t = this.tokens[this.pos];
    return t?.type === 'word' && words.includes(t.text.toLowerCase());
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw invalid(`filter nests deeper than ${MAX_DEPTH} levels`);
  }

  parseOr(): Filter {
    this.enter();
    let left = this.parseAnd();
    while (this.peekWord('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    this.depth--;
    return left;
  }

  private parseAnd(): Filter {
    let left = this.parseUnary();
    while (this.peekWord('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Filter {
    if (this.peekWord('not') && this.tokens[this.pos + 1]?.type === '(') {
      this.pos++;
      return { kind: 'not', filter: this.parseGroup() };
    }
    if (this.tokens[this.pos]?.type === '(') return this.parseGroup();
    return this.parseAttrExpression();
  }

  private parseGroup(): Filter {
    this.expect('(');
    const inner = this.parseOr();
    this.expect(')');
    return inner;
  }

  private expect(type: '(' | ')' | '[' | ']'): void {
    const t = this.tokens[this.pos];
    if (t?.type !== type) throw invalid(`expected "${type}" ${t ? `at position ${t.at + 1}` : 'at the end'}`);
    this.pos++;
  }

  private parseAttrExpression(): Filter {
    const t = this.tokens[this.pos];
    if (t?.type !== 'word') throw invalid(t ? `expected an attribute at position ${t.at + 1}` : 'filter ends too early');
    this.pos++;
    const path = this.toPath(t.text);
    if (this.tokens[this.pos]?.type === '[') {
      this.pos++;
      this.enter();
      const inner = this.parseOr();
      this.depth--;
      this.expect(']');
      const next = this.tokens[this.pos];
      // `emails[type eq "work"].value eq "x"`: Entra's form (sheet §6.1); the sub-attribute test joins the inner filter.
      if (next?.type === 'word' && next.text.startsWith('.')) {
        this.pos++;
        const subPath = { attr: this.toPath(next.text.slice(1)).attr };
        return { kind: 'has', path, filter: { kind: 'and', left: inner, right: this.parseComparison(subPath) } };
      }
      return { kind: 'has', path, filter: inner };
    }
    return this.parseComparison(path);
  }

  private parseComparison(path: AttrPath): Filter {
    const opToken = this.tokens[this.pos];
    const op = opToken?.type === 'word' ? opToken.text.toLowerCase() : '';
    this.pos++;
    if (op === 'pr') return { kind: 'present', path };
    if (!comparators.has(op)) throw invalid(opToken ? `unknown operator at position ${opToken.at + 1}` : 'missing operator');
    return { kind: 'compare', path, op: op as Comparator, value: this.parseValue() };
  }

  private parseValue(): FilterValue {
    const t = this.tokens[this.pos++];
    if (!t) throw invalid('missing comparison value');
    if (t.type === 'string') return t.text;
    if (t.type === 'number') return t.value;
    if (t.type !== 'word') throw invalid(`expected a value at position ${t.at + 1}`);
    const lower = t.text.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    if (lower === 'null') return null;
    // Entra's documented example `externalId eq jyoung` is unquoted (sheet §6.3): take a bare word as a string.
    return t.text;
  }

  private toPath(text: string): AttrPath {
    try {
      return parseAttrPath(text);
    } catch {
      throw invalid(`invalid attribute path "${text.slice(0, 200)}"`);
    }
  }
}

function describe(token: Token): string {
  if (token.type === 'word') return `"${token.text.slice(0, 50)}"`;
  if (token.type === 'string') return 'string';
  if (token.type === 'number') return 'number';
  return `"${token.type}"`;
}

/** Parses a `filter` query parameter; throws INVALID_FILTER with the position of the problem. */
export function parseFilter(input: string): Filter {
  return new Parser(tokenize(input)).parseAll();
}

/** Parses a PATCH `path` (RFC 7644 §3.5.2); throws INVALID_PATH. */
export function parsePatchPath(input: string): PatchPath {
  const text = input.trim();
  const open = text.indexOf('[');
  if (open === -1) return { path: parseAttrPath(text) };
  const close = text.lastIndexOf(']');
  if (close < open) throw new BridgeError('INVALID_PATH', `invalid path "${text.slice(0, 200)}": missing "]"`);
  const after = text.slice(close + 1);
  if (after !== '' && !/^\.[A-Za-z$][\w$-]*$/.test(after)) throw new BridgeError('INVALID_PATH', `invalid path "${text.slice(0, 200)}"`);
  let filter: Filter;
  try {
    filter = parseFilter(text.slice(open + 1, close));
  } catch (err) {
    throw new BridgeError('INVALID_PATH', `invalid value filter in path: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { path: parseAttrPath(text.slice(0, open)), filter, ...(after !== '' ? { sub: after.slice(1) } : {}) };
}

/** Joins an {@link AttrPath} back into its dotted form (without the schema). */
export function attrName(path: AttrPath): string {
  return path.sub === undefined ? path.attr : `${path.attr}.${path.sub}`;
}

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
