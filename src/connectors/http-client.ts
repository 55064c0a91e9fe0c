import { Pool, errors as undiciErrors } from 'undici';
import type { z } from 'zod';
import { BridgeError, isAbortError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logging/logger.js';

/**
 * The shared HTTP client of every connector: keep-alive pool, timeouts, classified errors,
 * retries with backoff that honour `Retry-After`, zod-validated bodies and one debug line per
 * call. Connectors describe endpoints; they never retry, time out or log calls themselves.
 */

/** Waits for permission to send one request (per-connection rate limits live behind this). */
export interface RequestLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

/** One finished target call, for metrics. */
export interface TargetCallEvent {
  method: string;
  route: string;
  status: number | null;
  outcome: 'ok' | ErrorCode;
  durationMs: number;
}

/** Turns a non-2xx answer into a classified error; return undefined to use the default rules. */
export type ErrorClassifier = (status: number, body: unknown, route: string, method?: TargetRequest<unknown>['method']) => BridgeError | undefined;

/** Options for {@link createTargetHttpClient}. */
export interface TargetHttpClientOptions {
  /** Base URL; request paths are appended to its path (`http://host:1/v1` + `/users`). */
  baseUrl: string;
  /** Headers sent on every request, credentials included: never logged. */
  headers?: Record<string, string>;
  /** Per-attempt limit on waiting for headers and between body chunks. Default 30 s. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Retries of a transient failure within one call. Default 3. */
  retries?: number;
  /** First backoff step; doubles per attempt, with full jitter. Default 200 ms. */
  backoffMs?: number;
  /** A `Retry-After` longer than this is not waited out inside the call: the error goes to the caller. Default 30 s. */
  maxRetryAfterMs?: number;
  /** Keep-alive connections in the pool. Default 8. */
  connections?: number;
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** What to tell the operator when the target's certificate is not trusted (which config fields to set). */
  tlsHint?: string;
  logger: Logger;
  limiter?: RequestLimiter;
  classify?: ErrorClassifier;
  onCall?: (event: TargetCallEvent) => void;
}

/** One request. `route` is the path template used in logs; `path` fills it in. */
export interface TargetRequest<T> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  route: string;
  path?: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Schema of a 2xx body; omit when the body is ignored. */
  schema?: z.ZodType<T>;
  /** Safe to send twice. Defaults to true for GET, PUT and DELETE. POST is retried only on 429 or refused connections. */
  idempotent?: boolean;
  /** Extra headers for this request. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A validated answer. */
export interface TargetResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** The client connectors use. */
export interface TargetHttpClient {
  request<T = unknown>(request: TargetRequest<T>): Promise<TargetResponse<T>>;
  close(): Promise<void>;
}

const refusedCodes = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const resetCodes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ETIMEDOUT']);
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Creates the pooled client for one target connection. */
export function createTargetHttpClient(options: TargetHttpClientOptions): TargetHttpClient {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = new Pool(base.origin, {
    connections: options.connections ?? 8,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
    connect: {
      timeout: options.connectTimeoutMs ?? 10_000,
      ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
      ...(options.tls?.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.tls.rejectUnauthorized } : {}),
    },
  });
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 200;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;

  async function attempt<T>(req: TargetRequest<T>): Promise<TargetResponse<T>> {
    await options.limiter?.acquire(req.signal);
    const started = performance.now();
    let status: number | null = null;
    try {
      const hasBody = req.body !== undefined;
      const response = await pool.request({
        method: req.method,
        path: prefix + (req.path ?? req.route) + queryString(req.query),
        headers: {
          accept: 'application/json',
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
          ...req.headers,
        },
        body: hasBody ? JSON.stringify(req.body) : null,
        signal: req.signal ?? null,
      });
      status = response.statusCode;
      const text = await response.body.text();
      const parsed = parseJson(text);
      if (status < 200 || status >= 300) {
        const fallback = classifyStatus(status, parsed, req.route, response.headers);
        const classified = options.classify?.(status, parsed, req.route, req.method);
        throw classified ? enrich(classified, status, fallback.retryAfterMs) : fallback;
      }
      const body = req.schema ? validate(req.schema, parsed, req) : (parsed as T);
      options.onCall?.({ method: req.method, route: req.route, status, outcome: 'ok', durationMs: performance.now() - started });
      logCall(options.logger, req, status, started);
      return { status, body, headers: response.headers };
    } catch (err) {
      const error = classifyTransportError(err, req.route, options.tlsHint);
      options.onCall?.({ method: req.method, route: req.route, status, outcome: error.code, durationMs: performance.now() - started });
      logCall(options.logger, req, status, started, error);
      throw error;
    }
  }

  async function request<T>(req: TargetRequest<T>): Promise<TargetResponse<T>> {
    const idempotent = req.idempotent ?? req.method !== 'POST';
    for (let attemptNo = 0; ; attemptNo++) {
      try {
        return await attempt(req);
      } catch (err) {
        const error = err as BridgeError;
        if (!shouldRetry(error, idempotent) || attemptNo >= retries || req.signal?.aborted) throw error;
        const delay = error.retryAfterMs ?? fullJitter(backoffMs * 2 ** attemptNo);
        if (delay > maxRetryAfterMs) throw error;
        await sleep(delay, req.signal);
      }
    }
  }

  return { request, close: () => pool.close() };
}

function shouldRetry(error: BridgeError, idempotent: boolean): boolean {
  if (!error.isTransient || error.code === 'ABORTED') return false;
  if (idempotent) return true;
  // A POST may have been processed unless the server refused it outright.
  return error.code === 'TARGET_RATE_LIMITED' || error.details.refused === true;
}

/** The default mapping of HTTP statuses to error codes. */
export function classifyStatus(
  status: number,
  body: unknown,
  route: string,
  headers: Record<string, string | string[] | undefined> = {},
): BridgeError {
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  const details = { status, route, ...describeBody(body) };
  const code: ErrorCode =
    status === 429 ? 'TARGET_RATE_LIMITED'
    : status === 408 ? 'TARGET_TIMEOUT'
    : status >= 500 ? 'TARGET_UNAVAILABLE'
    : status === 401 || status === 403 ? 'TARGET_AUTH'
    : status === 404 ? 'TARGET_NOT_FOUND'
    : status === 409 ? 'TARGET_CONFLICT'
    : 'TARGET_REJECTED';
  return new BridgeError(code, `target answered ${status} on ${route}`, { details, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
}

/** Picks safe, short fields out of an error body (target error codes and messages, never request data). */
export function describeBody(body: unknown): { targetError?: string; targetMessage?: string } {
  if (body === null || typeof body !== 'object') return typeof body === 'string' && body !== '' ? { targetMessage: body.slice(0, 200) } : {};
  const record = body as Record<string, unknown>;
  const code = record.error_code ?? record.error ?? record.code;
  const errors = Array.isArray(record.errors) ? record.errors : undefined;
  const firstError = errors?.[0];
  const message =
    record.message ?? record.detail ??
    (typeof firstError === 'string' ? firstError : (firstError as Record<string, unknown> | undefined)?.message);
  return {
    ...(typeof code === 'string' ? { targetError: code } : {}),
    ...(typeof message === 'string' ? { targetMessage: message.slice(0, 200) } : {}),
  };
}

/** Adds the HTTP status and a `Retry-After` the connector's classifier did not set. */
function enrich(error: BridgeError, status: number, retryAfterMs: number | undefined): BridgeError {
  if (error.details.status !== undefined && (error.retryAfterMs !== undefined || retryAfterMs === undefined)) return error;
  const wait = error.retryAfterMs ?? retryAfterMs;
  return new BridgeError(error.code, error.message, {
    kind: error.kind,
    details: { status, ...error.details },
    cause: error.cause,
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
  });
}

function classifyTransportError(err: unknown, route: string, tlsHint = 'trust its CA or fix the certificate'): BridgeError {
  if (err instanceof BridgeError) return err;
  if (isAbortError(err) || err instanceof undiciErrors.RequestAbortedError) {
    return new BridgeError('ABORTED', `call to ${route} was aborted`, { cause: err });
  }
  const code = errorCode(err);
  if (timeoutCodes.has(code)) return new BridgeError('TARGET_TIMEOUT', `no answer from the target on ${route}`, { cause: err, details: { route, reason: code } });
  if (refusedCodes.has(code)) {
    return new BridgeError('TARGET_UNAVAILABLE', `cannot connect to the target for ${route}`, { cause: err, details: { route, reason: code, refused: true } });
  }
  if (resetCodes.has(code)) return new BridgeError('TARGET_UNAVAILABLE', `connection to the target dropped on ${route}`, { cause: err, details: { route, reason: code } });
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return new BridgeError('TARGET_AUTH', `the target's TLS certificate is not trusted (${code}): ${tlsHint}`, { cause: err, details: { route, reason: code } });
  }
  return new BridgeError('TARGET_UNAVAILABLE', `call to ${route} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { route, reason: code || 'unknown' } });
}

function errorCode(err: unknown): string {
  if (err === null || typeof err !== 'object') return '';
  const record = err as { code?: unknown; cause?: unknown };
  if (typeof record.code === 'string') return record.code;
  return errorCode(record.cause);
}

function validate<T>(schema: z.ZodType<T>, value: unknown, req: TargetRequest<T>): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new BridgeError('TARGET_INVALID_RESPONSE', `unexpected answer from ${req.method} ${req.route}: ${issues.join('; ')}`, {
    details: { route: req.route },
  });
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function queryString(query: TargetRequest<unknown>['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function logCall(logger: Logger, req: TargetRequest<unknown>, status: number | null, started: number, error?: BridgeError): void {
  logger.debug('target call', {
    method: req.method,
    route: req.route,
    status,
    ms: Math.round(performance.now() - started),
    ...(error ? { error: error.code } : {}),
  });
}

/** Full jitter: a random delay between 0 and the exponential step. */
export function fullJitter(stepMs: number): number {
  return Math.round(Math.random() * stepMs);
}

/** Resolves after `ms`, or rejects with ABORTED when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new BridgeError('ABORTED', 'aborted while waiting'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new BridgeError('ABORTED', 'aborted while waiting'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
