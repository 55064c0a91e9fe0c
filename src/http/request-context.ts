import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logging/logger.js';

/** Per-request fields the middleware adds (plain fields: express reads and writes this object on every request). */
export interface RequestLocals {
  requestId: string;
  /** The SCIM connection name (not `connection`: that is Node's alias of `req.socket`); set it with {@link setScimConnection}. */
  scimConnection?: string;
  /** The root logger and the request's child of it (built by {@link requestLog} on first use). */
  rootLog?: Logger;
  childLog?: Logger;
}

/** The request with its id and logger (set by {@link requestContext}). */
export type ContextRequest = Request & RequestLocals;

/** Reads the context set by {@link requestContext}. */
export function contextOf(req: Request): RequestLocals {
  return req as ContextRequest;
}

/**
 * The request's logger: a child carrying the request id and, once known, the connection, built
 * once on first use (most requests log nothing but their access line). Undefined before
 * {@link requestContext} ran.
 */
export function requestLog(req: Request): Logger | undefined {
  const context = req as ContextRequest;
  if (context.rootLog === undefined) return undefined;
  const { requestId, scimConnection } = context;
  return (context.childLog ??= context.rootLog.child(scimConnection === undefined ? { requestId } : { requestId, connection: scimConnection }));
}

/** Names the request's SCIM connection, for its logger and its access line. */
export function setScimConnection(req: Request, name: string): void {
  const context = req as ContextRequest;
  context.scimConnection = name;
  context.childLog = undefined;
}

const safeId = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives each request an id (a safe incoming `X-Request-Id`, else a new UUID), a logger carrying
 * it ({@link requestLog}), and one access-log line when the response finishes: method, path
 * (never the query, which may hold filters with personal data), status, latency. No bodies.
 * The access line goes to the root logger with its fields, so no child is built for it. Lines of
 * `quietPaths` (the sandbox's simulators) and refused credentials (401: auth-failure-log.ts warns
 * for those, rate-limited) are `debug`; 5xx are `error`; the rest `info`.
 */
export function requestContext(logger: Logger, onFinish?: (req: ContextRequest, res: Response, ms: number) => void, quietPaths: readonly string[] = []): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming !== undefined && safeId.test(incoming) ? incoming : randomUUID();
    const context = req as ContextRequest;
    context.requestId = requestId;
    context.scimConnection = undefined;
    context.rootLog = logger;
    context.childLog = undefined;
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const fields = { requestId, connection: context.scimConnection, method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms };
      if (res.statusCode >= 500) logger.error('request', fields);
      else if (res.statusCode === 401 || quietPaths.some((prefix) => req.originalUrl.startsWith(prefix))) logger.debug('request', fields);
      else logger.info('request', fields);
      onFinish?.(context, res, ms);
    });
    next();
  };
}
