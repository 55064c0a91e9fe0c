import express, { type Express, type RequestHandler, type Response } from 'express';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { errorMiddleware } from './errors.js';
import { createRateLimiter } from './rate-limit.js';
import { requestContext, type ContextRequest } from './request-context.js';
import { createScimRouter, type ScimConnection } from './scim-router.js';

/**
 * A readiness check: resolves when fine, throws (with a safe message) when not. It may resolve
 * with safe details; details with `ok: false` report a failure that carries them (the problems
 * a target access check found).
 */
export interface ReadinessCheck {
  name: string;
  /** A failing non-critical check is reported but does not make the bridge unready. */
  critical: boolean;
  check(): Promise<void | Record<string, unknown>>;
}

/** What the app needs; built by the composition root. */
export interface AppOptions {
  logger: Logger;
  connections: ReadonlyMap<string, ScimConnection>;
  publicUrl?: string;
  bodyLimit: string;
  requestsPerMinute: number;
  readiness: ReadinessCheck[];
  /** Extra routers mounted before SCIM (sandbox simulators, status page, metrics). */
  mounts?: { path: string; handler: RequestHandler | express.Router }[];
  /** Called once per finished request (metrics). */
  onRequest?: (req: ContextRequest, res: Response, ms: number) => void;
  /** While true, new SCIM requests get 503 (graceful shutdown). */
  isDraining?: () => boolean;
}

/** Builds the express app: request ids and access log, health, SCIM, one error middleware. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(options.logger, options.onRequest));
  // While draining, every answer closes its connection, so keep-alive clients (load balancers, scrapers) let the server stop.
  app.use((_req, res, next) => {
    if (options.isDraining?.()) res.setHeader('Connection', 'close');
    next();
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const report = await readiness(options.readiness);
    res.status(report.ready ? 200 : 503).json(report);
  });
  for (const mount of options.mounts ?? []) app.use(mount.path, mount.handler);
  app.use('/scim', (_req, _res, next) => next(options.isDraining?.() ? new BridgeError('SHUTTING_DOWN', 'the bridge is shutting down', { retryAfterMs: 5_000 }) : undefined));
  app.use(
    '/scim/v2',
    createScimRouter({
      connections: options.connections,
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      bodyLimit: options.bodyLimit,
      limiter: createRateLimiter(options.requestsPerMinute),
      authFailures: createRateLimiter(30, { burst: 20, message: 'too many failed authentications; retry later' }),
    }),
  );
  app.use((_req, _res, next) => next(new BridgeError('NOT_FOUND', 'no such endpoint')));
  app.use(errorMiddleware(options.logger));
  return app;
}

async function readiness(checks: readonly ReadinessCheck[]): Promise<{ ready: boolean; status: 'ready' | 'degraded' | 'unready'; checks: Record<string, unknown>[] }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const started = performance.now();
      try {
        const detail = await withTimeout(c.check(), 5_000);
        return { name: c.name, critical: c.critical, ms: Math.round(performance.now() - started), ...(detail ?? {}), ok: detail?.ok !== false };
      } catch (err) {
        return { name: c.name, ok: false, critical: c.critical, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const ready = results.every((r) => r.ok || !r.critical);
  // Degraded: serving SCIM (writes are durable) while some target cannot be reached or refuses the credentials.
  return { ready, status: !ready ? 'unready' : results.every((r) => r.ok) ? 'ready' : 'degraded', checks: results };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
