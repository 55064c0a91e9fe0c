import type { ErrorRequestHandler, Response } from 'express';
import { BridgeError, isBridgeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { ERROR_SCHEMA } from '../scim/schemas.js';

/**
 * The one place errors become HTTP responses: an RFC 7644 §3.12 body (status as a string),
 * the right status, `Retry-After` on 429 and 503. 5xx are logged at error, 4xx at info.
 */

interface HttpMapping {
  status: number;
  scimType?: string;
}

const mapping: Partial<Record<ErrorCode, HttpMapping>> = {
  INVALID_SYNTAX: { status: 400, scimType: 'invalidSyntax' },
  INVALID_VALUE: { status: 400, scimType: 'invalidValue' },
  INVALID_FILTER: { status: 400, scimType: 'invalidFilter' },
  INVALID_PATH: { status: 400, scimType: 'invalidPath' },
  NO_TARGET: { status: 400, scimType: 'noTarget' },
  MUTABILITY: { status: 400, scimType: 'mutability' },
  UNIQUENESS: { status: 409, scimType: 'uniqueness' },
  NOT_FOUND: { status: 404 },
  VERSION_MISMATCH: { status: 412 },
  UNAUTHORIZED: { status: 401 },
  FORBIDDEN: { status: 403 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  NOT_IMPLEMENTED: { status: 501 },
  RATE_LIMITED: { status: 429 },
  STORE_UNAVAILABLE: { status: 503 },
  SHUTTING_DOWN: { status: 503 },
  // Strict mode: the target's answer decides the SCIM answer (docs/architecture.md, "Modes per connection").
  TARGET_CONFLICT: { status: 409, scimType: 'uniqueness' },
  TARGET_REJECTED: { status: 400, scimType: 'invalidValue' },
  TARGET_TASK_FAILED: { status: 400, scimType: 'invalidValue' },
  PROTECTED_ACCOUNT: { status: 403 },
  UNSUPPORTED_OPERATION: { status: 400, scimType: 'invalidValue' },
  TARGET_AUTH: { status: 502 },
  TARGET_INVALID_RESPONSE: { status: 502 },
  TARGET_NOT_FOUND: { status: 502 },
};

/** The HTTP status and scimType of an error. Transient target errors answer 503 so the IdP retries. */
export function httpMappingOf(error: BridgeError): HttpMapping {
  const mapped = mapping[error.code];
  if (mapped) return mapped;
  if (error.kind === 'transient') return { status: 503 };
  return { status: 500 };
}

/** Default wait suggested on 503 when the cause gave none. */
const DEFAULT_RETRY_AFTER_S = 5;

/** Writes the SCIM error response for any thrown value. */
export function sendError(res: Response, err: unknown, log: Logger): void {
  const error = toHttpError(err);
  const { status, scimType } = httpMappingOf(error);
  if (status === 429 || status === 503) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil((error.retryAfterMs ?? DEFAULT_RETRY_AFTER_S * 1000) / 1000))));
  }
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="scim-bridge"');
  const detail = status >= 500 && error.code === 'INTERNAL' ? 'internal error; see the bridge logs for the request id' : error.message;
  if (status >= 500) log.error('request failed', { code: error.code, error: error.message, cause: causeOf(error) });
  else log.info('request rejected', { code: error.code, status, detail: error.message });
  if (res.headersSent) return;
  res.status(status).type('application/scim+json').json({ schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

function causeOf(error: BridgeError): string | undefined {
  const cause = error.cause;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return cause === undefined ? undefined : String(cause);
}

/** Maps body-parser and other non-Bridge errors; anything unknown is INTERNAL (500), never a 404. */
export function toHttpError(err: unknown): BridgeError {
  if (isBridgeError(err)) return err;
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large') return new BridgeError('PAYLOAD_TOO_LARGE', 'the request body is larger than the configured limit (http.bodyLimit)');
  if (type === 'entity.parse.failed') return new BridgeError('INVALID_SYNTAX', 'the request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new BridgeError('INVALID_SYNTAX', 'unsupported body encoding or charset');
  if (type === 'request.aborted') return new BridgeError('INVALID_SYNTAX', 'the request body was not received completely');
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) return new BridgeError('INVALID_SYNTAX', err instanceof Error ? err.message : 'bad request');
  return new BridgeError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

/** Express error middleware using {@link sendError} and the request's logger. */
export function errorMiddleware(fallback: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => sendError(res, err, (req as { log?: Logger }).log ?? fallback);
}
