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

/**
 * Copy on write: a value with nothing to blank is returned as it is (the same reference), so a
 * log line of plain fields costs a walk over them and no copy; only the objects on the way to
 * a blanked value are copied, and the caller's objects are never changed.
 */
function redactDeep(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return secrets.length === 0 ? value : redactText(value, secrets);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return redactDeep({ name: value.name, message: value.message }, secrets, depth + 1);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const cleaned = redactDeep(item, secrets, depth + 1);
      if (cleaned !== item) (out ??= value.slice())[i] = cleaned;
    }
    return out ?? value;
  }
  const out = redactFields(value as Record<string, unknown>, secrets, depth);
  // A class instance (a Date, a Buffer) without own secrets keeps its prototype, as before the copy was avoided.
  return out ?? (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null ? value : { ...value });
}

/** The fields of `object` redacted, or undefined when none changes. */
function redactFields(object: Record<string, unknown>, secrets: readonly string[], depth: number): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const item = object[key];
    const cleaned = isSecretKey(key) && item !== undefined && typeof item !== 'boolean' ? REDACTED : redactDeep(item, secrets, depth + 1);
    if (cleaned !== item) (out ??= { ...object })[key] = cleaned;
  }
  return out;
}

/**
 * Redacts a log entry in place, field by field (the entry is the logger's own object, made for
 * this line): a field is replaced only when something in it is blanked, nested objects by copy.
 */
export function redactEntry(entry: Record<string, unknown>, redactor: Redactor): void {
  for (const key of Object.keys(entry)) {
    const item = entry[key];
    const cleaned = isSecretKey(key) && item !== undefined && typeof item !== 'boolean' ? REDACTED : redactor.value(item);
    if (cleaned !== item) entry[key] = cleaned;
  }
}
