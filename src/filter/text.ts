// NUL and lone surrogates cannot be stored as sent: PostgreSQL text and jsonb refuse NUL, and a
// lone surrogate becomes U+FFFD on its way to either database (RFC 8259 §8.2: not interoperable).
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a string can be stored and given back exactly: no NUL, no lone surrogate. */
export function isStorableText(text: string): boolean {
  return !unstorable.test(text);
}
