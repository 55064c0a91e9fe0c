import winston from 'winston';

/** The logger type passed down from the composition root (never imported as a global). */
export type Logger = winston.Logger;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  /** `json` for machines (the default off a terminal), `pretty` for people. */
  format?: 'json' | 'pretty';
  /** Secret values (tokens, passwords, API keys) to blank wherever they appear. */
  secrets?: Iterable<string>;
  /** Where lines go; defaults to stdout. Tests pass a stream to read every line. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

const secretKey = /authorization|password|passwd|secret|token|api[-_]?key|cookie|credential/i;
const REDACTED = '[redacted]';

/** Replaces secret-looking keys and known secret values anywhere in a log record. */
export function redact(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return redact({ name: value.name, message: value.message }, secrets, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = secretKey.test(key) && item !== undefined && typeof item !== 'boolean' ? REDACTED : redact(item, secrets, depth + 1);
  }
  return out;
}

function redactString(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** Builds the process logger: structured, secret-free, JSON off a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  // Short values would blank ordinary words; every real secret here is longer.
  const secrets = [...(options.secrets ?? [])].filter((s) => s.length >= 4);
  const scrub = winston.format((info) => {
    const cleaned = redact({ ...info }, secrets) as Record<string | symbol, unknown>;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    Object.assign(info, cleaned);
    return info;
  });
  const wantsPretty = options.format === 'pretty' || (options.format === undefined && process.stdout.isTTY);
  const format = wantsPretty
    ? winston.format.combine(scrub(), winston.format.timestamp(), winston.format.colorize(), winston.format.printf(prettyLine))
    : winston.format.combine(scrub(), winston.format.timestamp(), winston.format.json());
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({ level: options.level ?? 'info', format, transports: [transport], silent: options.silent ?? false });
}

function prettyLine(info: winston.Logform.TransformableInfo): string {
  const { level, message, timestamp, ...rest } = info;
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${String(timestamp)} ${level} ${String(message)}${extra}`;
}

/** A logger that writes nothing, for tests and tools that do not care. */
export function createSilentLogger(): Logger {
  return createLogger({ silent: true, format: 'json' });
}
