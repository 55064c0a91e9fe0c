/**
 * The one redaction rule, shared by the logger, the status page and /metrics: a value under a
 * secret-looking key is blanked whatever it is, and a configured secret is blanked wherever it
 * appears in text once it is long enough to be one. A short "secret" (the word `sandbox`, a
 * three-letter password) would otherwise blank every hostname, path and sentence that happens to
 * contain it; it is still blanked where it sits under its key.
 */

/** Configured secrets shorter than this are redacted only under secret-looking keys, never inside text. */
export const MIN_SECRET_LENGTH = 8;

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

const secretKey = /authorization|password|passwd|secret|token|api[-_]?key|cookie|credential/i;

/** Whether a field of that name holds a secret (`authorization`, `apiSecretKey`, `client_secret`, ...). */
export function isSecretKey(key: string): boolean {
  return secretKey.test(key);
}

/** The secrets worth looking for in text: long enough, distinct, longest first (so a secret containing another goes first). */
function textSecrets(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** Redaction against one fixed set of secrets (prepared once: the logger runs it on every line). */
export interface Redactor {
  /** Blanks values under secret-looking keys and configured secrets in every string, anywhere in a value. */
  value(value: unknown): unknown;
  /** Blanks configured secrets in a text. */
  text(text: string): string;
  /** Whether a configured secret appears in the text. */
  isLeaking(text: string): boolean;
}

/** Builds the {@link Redactor} of a set of configured secrets. */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const prepared = textSecrets(secrets);
  return {
    value: (value) => redactDeep(value, prepared, 0),
    text: (text) => redactText(text, prepared),
    isLeaking: (text) => prepared.some((secret) => text.includes(secret)),
  };
}

/** {@link Redactor.value} for a one-off set of secrets. */
export function redact(value: unknown, secrets: Iterable<string>): unknown {
  return createRedactor(secrets).value(value);
}

function redactDeep(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return redactDeep({ name: value.name, message: value.message }, secrets, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && item !== undefined && typeof item !== 'boolean' ? REDACTED : redactDeep(item, secrets, depth + 1);
  }
  return out;
}
