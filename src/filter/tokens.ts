import { FilterError } from './errors.js';
import { isStorableText } from './text.js';

/** The tokens of a filter (RFC 7644 §3.4.2.2): words, string and number literals, brackets. */

const MAX_LENGTH = 4096;

/** One token, with its position for error messages. */
export type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; text: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: '(' | ')' | '[' | ']'; at: number };

/** An INVALID_FILTER error. */
export const invalidFilter = (message: string): FilterError => new FilterError('INVALID_FILTER', message);

/** Splits a filter into tokens; throws INVALID_FILTER on a bad literal or an overlong filter. */
export function tokenize(input: string): Token[] {
  if (input.length > MAX_LENGTH) throw invalidFilter(`filter is longer than ${MAX_LENGTH} characters`);
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
      if (!isStorableText(text)) throw invalidFilter(`the string at position ${i + 1} holds a NUL character or a lone surrogate`);
      tokens.push({ type: 'string', text, at: i });
      i = end;
    } else {
      const match = /^[^\s()[\]"]+/.exec(input.slice(i));
      const text = match?.[0] ?? ch;
      // A number only when it reads back as written: `000123` or a 20-digit id in Entra's unquoted
      // `externalId eq 000123` (Microsoft Learn, SCIM endpoint tutorial) stays the string it is,
      // not 123 or a rounded float.
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
        throw invalidFilter(`invalid string literal at position ${start + 1}`);
      }
      return i + 1;
    } else i++;
  }
  throw invalidFilter(`unterminated string starting at position ${start + 1}`);
}
