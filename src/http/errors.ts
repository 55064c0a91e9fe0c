import type { ErrorRequestHandler, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { BridgeError, isBridgeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { ERROR_SCHEMA } from '../scim/schemas.js';
import { requestLog } from './request-context.js';

/**
 * The one place errors become HTTP responses: an RFC 7644 §3.12 body (status as a string),
 * the right status, `Retry-After` on 429 and 503. 5xx are logged at error, 401 at debug (refused
 * credentials are warned about, rate-limited, in auth-failure-log.ts), other 4xx at info.
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
  URI_TOO_LONG: { status: 414 },
  HEADERS_TOO_LARGE: { status: 431 },
  REQUEST_TIMEOUT: { status: 408 },
  METHOD_NOT_ALLOWED: { status: 405 },
  UNSUPPORTED_GRANT_TYPE: { status: 400 },
  INVALID_SCOPE: { status: 400 },
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
  REMOVAL_UNCONFIRMED: { status: 502 },
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
  // RFC 6750 §3: a token that was presented and refused says so, so the client fetches a new one.
  if (status === 401) res.setHeader('WWW-Authenticate', error.details.bearerError === 'invalid_token' ? 'Bearer realm="scim-bridge", error="invalid_token"' : 'Bearer realm="scim-bridge"');
  if (status >= 500) log.error('request failed', { code: error.code, error: error.message, cause: causeOf(error) });
  // Refused credentials are warned about once per window where they are counted (auth-failure-log.ts).
  else if (status === 401) log.debug('request rejected', { code: error.code, status, detail: error.message });
  else log.info('request rejected', { code: error.code, status, detail: error.message });
  if (res.headersSent) return;
  res.status(status).type('application/scim+json').json(scimErrorBody(error));
}

/** The RFC 7644 §3.12 body of an error; an internal error's message stays in the logs. */
export function scimErrorBody(error: BridgeError): Record<string, unknown> {
  const { status, scimType } = httpMappingOf(error);
  const detail = status >= 500 && error.code === 'INTERNAL' ? 'internal error; see the bridge logs for the request id' : error.message;
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** A whole HTTP/1.1 response carrying the SCIM error, for answers written straight to a socket (before express). */
export function rawScimErrorResponse(error: BridgeError, requestId: string): string {
  const { status } = httpMappingOf(error);
  const body = JSON.stringify(scimErrorBody(error));
  const retryAfter = status === 408 || status === 429 || status === 503 ? `Retry-After: ${Math.max(1, Math.ceil((error.retryAfterMs ?? DEFAULT_RETRY_AFTER_S * 1000) / 1000))}\r\n` : '';
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `Content-Type: application/scim+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `${retryAfter}X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
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

/** RFC 6749 §5.2 error codes of the token endpoint, by bridge error code. */
const oauthErrors: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: 'invalid_client',
  // Only failed client authentications are braked, so the client is wrong here too.
  RATE_LIMITED: 'invalid_client',
  UNSUPPORTED_GRANT_TYPE: 'unsupported_grant_type',
  INVALID_SCOPE: 'invalid_scope',
};

/**
 * Writes an OAuth 2.0 error response (RFC 6749 §5.2) for the token endpoint: JSON with `error`
 * and `error_description`, never cached; 401 `invalid_client` challenges for HTTP Basic, the
 * client authentication the endpoint accepts in a header.
 */
export function sendOAuthError(res: Response, err: unknown, log: Logger): void {
  const error = toHttpError(err);
  const { status } = httpMappingOf(error);
  const code = oauthErrors[error.code] ?? (status >= 500 ? 'server_error' : 'invalid_request');
  if (status >= 500) log.error('token request failed', { code: error.code, error: error.message, cause: causeOf(error) });
  else if (status === 401) log.debug('token request rejected', { code: error.code, status, oauthError: code, detail: error.message });
  else log.info('token request rejected', { code: error.code, status, oauthError: code, detail: error.message });
  if (res.headersSent) return;
  if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="scim-bridge"');
  if (status === 429) res.setHeader('Retry-After', String(Math.max(1, Math.ceil((error.retryAfterMs ?? DEFAULT_RETRY_AFTER_S * 1000) / 1000))));
  if (status === 405) res.setHeader('Allow', 'POST');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  const detail = status >= 500 ? 'internal error; see the bridge logs for the request id' : error.message;
  // error_description may hold printable ASCII except " and \ (RFC 6749 §5.2).
  res.status(status).json({ error: code, error_description: detail.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "'") });
}

/** Express error middleware using {@link sendError} and the request's logger. */
export function errorMiddleware(fallback: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => sendError(res, err, requestLog(req) ?? fallback);
}
