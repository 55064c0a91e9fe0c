import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logging/logger.js';

/** Per-request fields the middleware adds. */
export interface RequestLocals {
  requestId: string;
  /** The request's logger (request id, and the connection once known), built on first use. */
  log: Logger;
  /** The SCIM connection name (not `connection`: that is Node's alias of `req.socket`); setting it adds it to `log`. */
  scimConnection?: string;
}

/** The request with its id and logger (set by {@link requestContext}). */
export type ContextRequest = Request & RequestLocals;

/** Reads the context set by {@link requestContext}. */
export function contextOf(req: Request): RequestLocals {
  return req as ContextRequest;
}

const safeId = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives each request an id (a safe incoming `X-Request-Id`, else a new UUID), a child logger
 * carrying it, and one access-log line when the response finishes: method, path (never the
 * query, which may hold filters with personal data), status, latency. No bodies.
 *
 * The child logger is built once, on first use, with every field known by then: most requests
 * log nothing but their access line, which goes to the root logger with its fields.
 */
export function requestContext(logger: Logger, onFinish?: (req: ContextRequest, res: Response, ms: number) => void): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming !== undefined && safeId.test(incoming) ? incoming : randomUUID();
    const context = req as ContextRequest;
    context.requestId = requestId;
    let log: Logger | undefined;
    let connection: string | undefined;
    Object.defineProperties(context, {
      log: {
        configurable: true,
        get: () => (log ??= logger.child(connection === undefined ? { requestId } : { requestId, connection })),
        set: (value: Logger) => {
          log = value;
        },
      },
      scimConnection: {
        configurable: true,
        get: () => connection,
        set: (value: string | undefined) => {
          connection = value;
          log = undefined;
        },
      },
    });
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const fields = { requestId, connection, method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms };
      if (res.statusCode >= 500) logger.error('request', fields);
      else logger.info('request', fields);
      onFinish?.(context, res, ms);
    });
    next();
  };
}
