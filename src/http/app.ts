import express, { type Express, type RequestHandler, type Response } from 'express';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { AdminCaller } from './admin-access.js';
import { errorMiddleware } from './errors.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { withFailureLog } from './auth-failure-log.js';
import { createMemoryAuthFailureLimiter, type AuthFailureLimiter } from './auth-failures.js';
import { createRateLimiter } from './rate-limit.js';
import { requestContext, type ContextRequest } from './request-context.js';
import { createScimRouter, type ScimConnection } from './scim-router.js';
import { createTokenEndpoint, type TokenEndpointOptions } from './token-endpoint.js';

export type { ReadinessCheck } from './health.js';

/** What the app needs; built by the composition root. */
export interface AppOptions {
  logger: Logger;
  connections: ReadonlyMap<string, ScimConnection>;
  publicUrl?: string;
  bodyLimit: string;
  requestsPerMinute: number;
  /** Which proxies may name the client (express `trust proxy`): false, a hop count, or addresses. */
  trustProxy?: false | number | string[];
  /** The brake on failed authentications, SCIM and token endpoint alike (in process unless the root passes a shared one). */
  authFailures?: AuthFailureLimiter;
  /** The OAuth token endpoint's connections and signer (without them, every /oauth request is 404). */
  oauth?: Omit<TokenEndpointOptions, 'authFailures'>;
  readiness: ReadinessCheck[];
  /** Who a caller is under the admin rule (details of /readyz); everyone is anonymous by default. */
  callerOf?: (authorization: string | undefined) => AdminCaller;
  /** Extra routers mounted before SCIM (sandbox simulators, status page, metrics). */
  mounts?: { path: string; handler: RequestHandler | express.Router }[];
  /** Called once per finished request (metrics). */
  onRequest?: (req: ContextRequest, res: Response, ms: number) => void;
  /** Path prefixes whose access lines are `debug` (the sandbox's simulators, so the bridge's own lines stand out). */
  quietPaths?: string[];
  /** While true, new SCIM requests get 503 (graceful shutdown). */
  isDraining?: () => boolean;
}

/** Builds the express app: request ids and access log, health, SCIM, one error middleware. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Off by default: X-Forwarded-For is then ignored, so a client cannot choose the address it is counted under.
  app.set('trust proxy', options.trustProxy ?? false);
  const context = requestContext(options.logger, options.onRequest, options.quietPaths ?? []);
  app.use((req, res, next) => {
    // While draining, every answer closes its connection, so keep-alive clients (load balancers, scrapers) let the server stop.
    if (options.isDraining?.()) res.setHeader('Connection', 'close');
    context(req, res, next);
  });
  const authFailures = withFailureLog(options.authFailures ?? createMemoryAuthFailureLimiter(), options.logger);
  const scim = createScimRouter({
    connections: options.connections,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    bodyLimit: options.bodyLimit,
    limiter: createRateLimiter(options.requestsPerMinute),
    authFailures,
  });
  // SCIM first: it is what the IdPs wait on, and no other path starts with /scim (each layer passed costs a path match).
  app.use('/scim', (req, res, next) => {
    if (options.isDraining?.()) return next(new BridgeError('SHUTTING_DOWN', 'the bridge is shutting down', { retryAfterMs: 5_000 }));
    scim(req, res, next);
  });
  app.use(healthRoutes({ readiness: options.readiness, ...(options.callerOf ? { callerOf: options.callerOf } : {}) }));
  for (const mount of options.mounts ?? []) app.use(mount.path, mount.handler);
  app.use('/oauth', createTokenEndpoint({ connections: new Map(), ...options.oauth, authFailures }));
  app.use((_req, _res, next) => next(new BridgeError('NOT_FOUND', 'no such endpoint')));
  app.use(errorMiddleware(options.logger));
  return app;
}
