/**
 * The one error hierarchy of scim-bridge. Errors carry a stable code and a kind, never an
 * HTTP status: `src/http/errors.ts` is the one place that maps them to responses.
 */

/** Whether retrying the same work later can succeed. */
export type ErrorKind = 'transient' | 'permanent';

/** Every stable error code, with its kind. Codes are part of the public surface (logs, status, sync extension). */
export const errorCodes = {
  // SCIM input (RFC 7644 §3.12 scimType in brackets where one applies)
  INVALID_SYNTAX: 'permanent', // [invalidSyntax]
  INVALID_VALUE: 'permanent', // [invalidValue]
  INVALID_FILTER: 'permanent', // [invalidFilter]
  INVALID_PATH: 'permanent', // [invalidPath]
  NO_TARGET: 'permanent', // [noTarget]
  MUTABILITY: 'permanent', // [mutability]
  UNIQUENESS: 'permanent', // [uniqueness]
  NOT_FOUND: 'permanent',
  VERSION_MISMATCH: 'permanent',
  UNAUTHORIZED: 'permanent',
  FORBIDDEN: 'permanent',
  PAYLOAD_TOO_LARGE: 'permanent',
  NOT_IMPLEMENTED: 'permanent',
  RATE_LIMITED: 'transient',
  // HTTP requests refused before routing (the parser, the OAuth token endpoint)
  URI_TOO_LONG: 'permanent',
  HEADERS_TOO_LARGE: 'permanent',
  REQUEST_TIMEOUT: 'transient',
  METHOD_NOT_ALLOWED: 'permanent',
  UNSUPPORTED_GRANT_TYPE: 'permanent',
  INVALID_SCOPE: 'permanent',
  // Bridge internals
  STORE_UNAVAILABLE: 'transient',
  SHUTTING_DOWN: 'transient',
  STORE_LOCKED: 'permanent', // another process holds the store (a serving bridge, copy-store): store-lock.ts
  SYNC_BUSY: 'transient', // another job is converging the same user or target account right now
  INTERNAL: 'permanent',
  CONFIG_INVALID: 'permanent',
  MAPPING_INVALID: 'permanent',
  // Target calls
  TARGET_UNAVAILABLE: 'transient', // connection refused or reset, 5xx
  TARGET_TIMEOUT: 'transient',
  TARGET_RATE_LIMITED: 'transient', // 429
  TARGET_TASK_PENDING: 'transient', // Redis Cloud task not final yet
  TARGET_AUTH: 'permanent', // 401/403: wrong credentials or missing rights
  TARGET_REJECTED: 'permanent', // validation error from the target
  TARGET_CONFLICT: 'permanent', // duplicate (for example the email exists)
  TARGET_NOT_FOUND: 'permanent',
  TARGET_TASK_FAILED: 'permanent', // Redis Cloud task ended in processing-error
  TARGET_INVALID_RESPONSE: 'permanent', // the answer did not match the documented shape
  PROTECTED_ACCOUNT: 'permanent', // owner, key's own user, last admin, listed as protected
  UNSUPPORTED_OPERATION: 'permanent', // the target API cannot do this (re-enable in Paradime, ...)
  REMOVAL_UNCONFIRMED: 'permanent', // a disable or delete the target did not confirm, and a fresh read still shows access
  ABORTED: 'transient',
} as const satisfies Record<string, ErrorKind>;

/** A stable error code. */
export type ErrorCode = keyof typeof errorCodes;

/** Safe, secret-free context attached to an error. */
export type ErrorDetails = Record<string, string | number | boolean | null | undefined | string[]>;

/** Options for {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** Overrides the code's default kind (a 409 that is really a transient race, say). */
  kind?: ErrorKind;
  /** How long the caller should wait before retrying (from `Retry-After`, for example). */
  retryAfterMs?: number;
  /** Safe context: ids, status codes, target error codes. Never a secret. */
  details?: ErrorDetails;
  cause?: unknown;
}

/** The error every layer throws. */
export class BridgeError extends Error {
  override readonly name = 'BridgeError';
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly retryAfterMs: number | undefined;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = options.kind ?? errorCodes[code];
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }

  /** Whether the same work may succeed if tried again later. */
  get isTransient(): boolean {
    return this.kind === 'transient';
  }

  /** A JSON-safe summary (for the audit log and the sync extension). */
  toJSON(): { code: ErrorCode; kind: ErrorKind; message: string; details: ErrorDetails } {
    return { code: this.code, kind: this.kind, message: this.message, details: this.details };
  }
}

/** Narrows an unknown thrown value to a {@link BridgeError}. */
export function isBridgeError(value: unknown): value is BridgeError {
  return value instanceof BridgeError;
}

/** Wraps anything thrown into a {@link BridgeError}, keeping BridgeErrors as they are. */
export function toBridgeError(value: unknown, fallback: ErrorCode = 'INTERNAL'): BridgeError {
  if (value instanceof BridgeError) return value;
  if (isAbortError(value)) return new BridgeError('ABORTED', 'the operation was aborted', { cause: value });
  const message = value instanceof Error ? value.message : String(value);
  return new BridgeError(fallback, message, { cause: value });
}

/** True for the errors `AbortSignal` produces. */
export function isAbortError(value: unknown): boolean {
  return value instanceof Error && (value.name === 'AbortError' || value.name === 'TimeoutError');
}
