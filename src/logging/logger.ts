import winston from 'winston';
import { createRedactor, redactEntry } from './redact.js';

export { redact } from './redact.js';

/** The logger type passed down from the composition root (never imported as a global). */
export type Logger = winston.Logger;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  /** `json` for machines (the default off a terminal), `pretty` for people. */
  format?: 'json' | 'pretty';
  /** Secret values (tokens, passwords, API keys) to blank wherever they appear (src/logging/redact.ts). */
  secrets?: Iterable<string>;
  /** Where lines go; defaults to stdout. Tests pass a stream to read every line. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/** Builds the process logger: structured, secret-free, JSON off a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = createRedactor(options.secrets ?? []);
  // Redaction at the edge, by key and by configured secret, in place: a line without secrets is not copied.
  const scrub = winston.format((info) => {
    redactEntry(info as Record<string, unknown>, redactor);
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
