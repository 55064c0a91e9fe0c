import type { AttrPath, Comparator, Filter, FilterValue, PatchPath } from './ast.js';
import { FilterError } from './errors.js';
import { invalidFilter as invalid, tokenize, type Token } from './tokens.js';

/**
 * SCIM filter and attribute-path parsing (RFC 7644 §3.4.2.2 and §3.5.2) to the AST of `ast.ts`.
 * A real recursive-descent parser: precedence `not` > `and` > `or`, nested parentheses, bounded
 * length and depth.
 */

const MAX_DEPTH = 32;
const comparators = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

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
    throw new FilterError('INVALID_PATH', `invalid attribute path "${text.slice(0, 200)}"`);
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
      // `emails[type eq "work"].value eq "x"`, Entra's form (Microsoft Learn, "Tutorial: Develop and
      // plan provisioning for a SCIM endpoint"): the sub-attribute test joins the inner filter.
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
    // Entra's documented example `externalId eq jyoung` is unquoted (Microsoft Learn, SCIM endpoint
    // tutorial): take a bare word as a string.
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
  if (close < open) throw new FilterError('INVALID_PATH', `invalid path "${text.slice(0, 200)}": missing "]"`);
  const after = text.slice(close + 1);
  if (after !== '' && !/^\.[A-Za-z$][\w$-]*$/.test(after)) throw new FilterError('INVALID_PATH', `invalid path "${text.slice(0, 200)}"`);
  let filter: Filter;
  try {
    filter = parseFilter(text.slice(open + 1, close));
  } catch (err) {
    throw new FilterError('INVALID_PATH', `invalid value filter in path: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { path: parseAttrPath(text.slice(0, open)), filter, ...(after !== '' ? { sub: after.slice(1) } : {}) };
}

