/**
 * Composable, parameterised SQL fragments. Values interpolated into {@link sql} become bound
 * parameters; nested fragments are spliced in. A fragment is rendered once, at execution, with
 * the dialect's placeholder style (`?` for SQLite, `$1..$n` for PostgreSQL), so pieces built
 * independently (filters, sort keys, id lists) compose without renumbering.
 */

/** A SQL text with its parameters: `parts.length === values.length + 1`. */
export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/** Builds a fragment: `sql\`SELECT * FROM users WHERE id = ${id}\``. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  const parts: string[] = [strings[0] ?? ''];
  const params: unknown[] = [];
  values.forEach((value, i) => {
    const next = strings[i + 1] ?? '';
    if (value instanceof Sql) {
      parts[parts.length - 1] += value.parts[0] ?? '';
      value.values.forEach((inner, j) => {
        params.push(inner);
        parts.push(value.parts[j + 1] ?? '');
      });
      parts[parts.length - 1] += next;
    } else {
      params.push(value);
      parts.push(next);
    }
  });
  return new Sql(parts, params);
}

/** Trusted SQL text without parameters (keywords, identifiers validated by the caller). */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

/** An empty fragment. */
export const empty = raw('');

/** Joins fragments with a separator (`, `, ` AND `). */
export function join(items: readonly Sql[], separator: string): Sql {
  if (items.length === 0) return empty;
  return items.slice(1).reduce((acc, item) => sql`${acc}${raw(separator)}${item}`, items[0] as Sql);
}

/** A rendered statement. */
export interface RenderedSql {
  text: string;
  values: unknown[];
}

/** Renders a fragment with a placeholder per parameter (1-based index). */
export function render(fragment: Sql, placeholder: (index: number) => string): RenderedSql {
  let text = fragment.parts[0] ?? '';
  for (let i = 1; i < fragment.parts.length; i++) text += placeholder(i) + (fragment.parts[i] ?? '');
  return { text, values: [...fragment.values] };
}
