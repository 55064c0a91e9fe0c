import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import { listenTracked } from '../net/listen.js';

/**
 * What every target simulator shares: fault injection, an optional request-rate limit, a
 * request log and the `/_sim/` control API (reset, faults, requests, rate limit). Each
 * simulator adds its own routes and its own `/_sim/seed` and `/_sim/accept`.
 */

/** A fault to inject into target (non-`/_sim/`) requests. */
export const faultSchema = z.object({
  kind: z.enum(['status', 'latency', 'reset', 'hang']),
  /** For kind `status`: the HTTP status to answer (429, 500, 503, ...). */
  status: z.number().int().min(400).max(599).optional(),
  /** For a 429 or 503: the `Retry-After` header, in seconds. */
  retryAfterSeconds: z.number().min(0).optional(),
  /** For kind `latency`: added delay before the real answer. */
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  /** Apply to the next N matching requests (default 1 when no rate is given). */
  count: z.number().int().min(1).optional(),
  /** Or apply to this share of matching requests (0..1), deterministically spread. */
  rate: z.number().min(0).max(1).optional(),
  /** Only requests whose method matches (GET, POST, ...). */
  method: z.string().optional(),
  /** Only requests whose path contains this text. */
  pathIncludes: z.string().optional(),
});
export type Fault = z.infer<typeof faultSchema>;

/** One request the simulator answered (or dropped). */
export interface SimRequestRecord {
  at: number;
  method: string;
  path: string;
  status: number | null;
  fault?: Fault['kind'];
  /** What a request on a single endpoint asked for (Paradime's GraphQL: `mutation inviteUser`), set by the simulator. */
  operation?: string;
}

/** Options shared by every simulator. */
export interface SimulatorCommonOptions {
  /** Target requests per second before answering 429 with Retry-After (off by default). */
  requestsPerSecond?: number;
  /** Latency added to every target request, in ms. */
  latencyMs?: number;
  /** The body of injected errors and 429s, in the target's own error shape (default `{error, message}`). */
  errorBody?: (status: number, message: string) => unknown;
  /**
   * Let a second account with an email already taken in (off by default). The real APIs refuse a
   * duplicate email when asked one call after another, but none promises to under concurrent
   * calls: with this on, a test that counts accounts fails when the bridge itself creates twice.
   */
  allowDuplicateEmails?: boolean;
}

interface ActiveFault {
  fault: Fault;
  remaining: number | null;
  seen: number;
}

/** Fault injection, rate limit and request log of one simulator. */
export class SimulatorControls {
  readonly requests: SimRequestRecord[] = [];
  private faults: ActiveFault[] = [];
  private readonly hung = new Set<Socket>();
  private bucket: { tokens: number; at: number } | null = null;
  requestsPerSecond: number | undefined;
  latencyMs: number;
  /** See {@link SimulatorCommonOptions.allowDuplicateEmails}; `PUT /_sim/duplicates` changes it. */
  allowDuplicateEmails: boolean;
  private readonly errorBody: (status: number, message: string) => unknown;

  constructor(options: SimulatorCommonOptions = {}) {
    this.requestsPerSecond = options.requestsPerSecond;
    this.latencyMs = options.latencyMs ?? 0;
    this.allowDuplicateEmails = options.allowDuplicateEmails ?? false;
    this.errorBody = options.errorBody ?? ((status, message) => ({ error: status === 429 ? 'RATE_LIMITED' : 'INJECTED_FAULT', message }));
  }

  /** Adds a fault; returns how many are active. */
  inject(fault: Fault): number {
    const remaining = fault.count ?? (fault.rate === undefined ? 1 : null);
    this.faults.push({ fault, remaining, seen: 0 });
    return this.faults.length;
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Forgets faults, the request log and the rate bucket (state is the simulator's own). */
  reset(): void {
    this.clearFaults();
    this.requests.length = 0;
    this.bucket = null;
  }

  /** Drops every request held by a `hang` fault (called on close). */
  releaseHung(): void {
    for (const socket of this.hung) socket.destroy();
    this.hung.clear();
  }

  /** Express middleware applying latency, rate limit and faults to target routes. */
  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const record: SimRequestRecord = { at: Date.now(), method: req.method, path: req.originalUrl, status: null };
      this.requests.push(record);
      // A simulator's route may name the operation (see SimRequestRecord.operation).
      res.locals.simRequest = record;
      // shift, not splice: V8 drops the first element in place, where splice(0, 1) copies the other 5,000 (about 25 µs a request).
      while (this.requests.length > 5000) this.requests.shift();
      res.on('finish', () => (record.status = res.statusCode));
      const fault = this.nextFault(req);
      const delay = this.latencyMs + (fault?.kind === 'latency' ? (fault.latencyMs ?? 0) : 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (fault && fault.kind !== 'latency') {
        record.fault = fault.kind;
        return this.applyFault(fault, req, res);
      }
      if (!this.takeToken()) {
        res.setHeader('Retry-After', '1');
        res.status(429).json(this.errorBody(429, 'Too many requests'));
        return;
      }
      next();
    };
  }

  private nextFault(req: Request): Fault | undefined {
    for (const active of this.faults) {
      const { fault } = active;
      if (fault.method && fault.method.toUpperCase() !== req.method) continue;
      if (fault.pathIncludes && !req.originalUrl.includes(fault.pathIncludes)) continue;
      const seen = active.seen++;
      if (active.remaining !== null) {
        if (active.remaining <= 0) continue;
        active.remaining--;
        this.faults = this.faults.filter((f) => f.remaining === null || f.remaining > 0);
        return fault;
      }
      // A rate fires deterministically: exactly floor(n * rate) of the first n requests.
      const rate = fault.rate ?? 0;
      if (Math.floor((seen + 1) * rate) > Math.floor(seen * rate)) return fault;
    }
    return undefined;
  }

  private applyFault(fault: Fault, req: Request, res: Response): void {
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'hang') {
      this.hung.add(req.socket);
      req.socket.once('close', () => this.hung.delete(req.socket));
      return;
    }
    const status = fault.status ?? 500;
    if (fault.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(fault.retryAfterSeconds));
    res.status(status).json(this.errorBody(status, `simulated ${status}`));
  }

  private takeToken(): boolean {
    const rate = this.requestsPerSecond;
    if (rate === undefined || rate <= 0) return true;
    const now = Date.now();
    const bucket = this.bucket ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.bucket = bucket;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Names the operation of the request being answered in the request log (single-endpoint APIs such as GraphQL). */
export function nameSimOperation(res: Response, operation: string): void {
  const record = res.locals.simRequest as SimRequestRecord | undefined;
  if (record) record.operation = operation;
}

/** Hooks a simulator gives the shared control API. */
export interface SimulatorHooks {
  /** Back to the initial state (seeded defaults). */
  reset(): void;
  /** `POST /_sim/seed`: adds accounts; the body shape is the simulator's own. Returns what was created. */
  seed(body: unknown): unknown;
  /** `POST /_sim/accept` `{email}`: accepts a pending invitation, if the target has them. */
  accept?(email: string): unknown;
  /** `GET /_sim/state`: the simulator's whole state, for tests. */
  snapshot(): unknown;
  /** Adds target-specific control routes under `/_sim/` (never subject to faults or the request log). */
  controlRoutes?(router: Router): void;
}

/** Builds the shared `/_sim/` router; target-specific extras can be added to the returned router. */
export function createControlRouter(controls: SimulatorControls, hooks: SimulatorHooks): Router {
  const router = express.Router();
  router.use(express.json({ limit: '5mb' }));
  router.post('/reset', (_req, res) => {
    controls.reset();
    hooks.reset();
    res.status(204).end();
  });
  router.get('/faults', (_req, res) => void res.json({ requestsPerSecond: controls.requestsPerSecond ?? null, allowDuplicateEmails: controls.allowDuplicateEmails }));
  router.post('/faults', (req, res) => {
    const parsed = z.union([faultSchema, z.array(faultSchema)]).safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: 'invalid fault', issues: parsed.error.issues });
    for (const fault of Array.isArray(parsed.data) ? parsed.data : [parsed.data]) controls.inject(fault);
    res.status(204).end();
  });
  router.delete('/faults', (_req, res) => {
    controls.clearFaults();
    res.status(204).end();
  });
  router.put('/rate-limit', (req, res) => {
    const parsed = z.object({ requestsPerSecond: z.number().positive().nullable() }).safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: 'expected {requestsPerSecond: number|null}' });
    controls.requestsPerSecond = parsed.data.requestsPerSecond ?? undefined;
    res.status(204).end();
  });
  router.put('/latency', (req, res) => {
    const parsed = z.object({ latencyMs: z.number().int().min(0) }).safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: 'expected {latencyMs: number}' });
    controls.latencyMs = parsed.data.latencyMs;
    res.status(204).end();
  });
  router.put('/duplicates', (req, res) => {
    const parsed = z.object({ allowDuplicateEmails: z.boolean() }).safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: 'expected {allowDuplicateEmails: boolean}' });
    controls.allowDuplicateEmails = parsed.data.allowDuplicateEmails;
    res.status(204).end();
  });
  router.get('/requests', (_req, res) => void res.json(controls.requests));
  router.delete('/requests', (_req, res) => {
    controls.requests.length = 0;
    res.status(204).end();
  });
  router.get('/state', (_req, res) => void res.json(hooks.snapshot()));
  router.post('/seed', (req, res) => {
    try {
      res.status(201).json(hooks.seed(req.body));
    } catch (err) {
      res.status(400).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  router.post('/accept', (req, res) => {
    const email = (req.body as { email?: unknown } | undefined)?.email;
    if (!hooks.accept) return void res.status(404).json({ error: 'this target has no invitations' });
    if (typeof email !== 'string') return void res.status(400).json({ error: 'expected {email}' });
    try {
      res.json(hooks.accept(email) ?? { ok: true });
    } catch (err) {
      res.status(404).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  hooks.controlRoutes?.(router);
  return router;
}

/** A simulator: an express app plus its controls, ready to serve at a root or under a prefix. */
export interface Simulator {
  readonly type: string;
  readonly app: Express;
  readonly controls: SimulatorControls;
  /** The `target.url` a connection uses, given the URL the app is served at (`http://127.0.0.1:N` or `.../sandbox/redis-cloud`). */
  targetUrl(servedAt: string): string;
  /** The default credentials as a connection's `target` fields (without url). */
  readonly credentials: Record<string, string>;
  /** Stops timers (task processing, auto-accept) and drops hung requests. */
  close(): void;
}

/** Creates the app skeleton: control API first, then faults and rate limit, then the target routes. */
export function createSimulatorApp(controls: SimulatorControls, hooks: SimulatorHooks): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/_sim', createControlRouter(controls, hooks));
  app.use(controls.middleware());
  return app;
}

/** A running simulator server. */
export interface RunningSimulator {
  /** Where the app is served (`http://127.0.0.1:N` or `https://...`). */
  url: string;
  /** What a connection's `target.url` takes. */
  targetUrl: string;
  port: number;
  server: http.Server | https.Server;
  close(): Promise<void>;
}

/** Serves a simulator on 127.0.0.1 (port 0 picks a free one); HTTPS when given a key and certificate. */
export async function serveSimulator(
  simulator: Simulator,
  options: { host?: string; port?: number; tls?: { key: string; cert: string } } = {},
): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const server = options.tls ? https.createServer(options.tls, simulator.app) : http.createServer(simulator.app);
  const sockets = await listenTracked(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`;
  return {
    url,
    targetUrl: simulator.targetUrl(url),
    port,
    server,
    close: async () => {
      simulator.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
