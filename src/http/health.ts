import { Router } from 'express';
import { BridgeError } from '../errors.js';
import type { AdminCaller } from './admin-access.js';

/**
 * `/healthz` and `/readyz`. Both are public and answer only a status: a load balancer needs no
 * more, and anyone may call them. The details of `/readyz` (each check, who the target
 * credentials belong to, what is wrong with them, timings) are for admins (src/http/admin-access.ts).
 * A public probe never calls a target: it reads the last target checks, whoever caused them.
 */

/**
 * A readiness check: resolves when fine, throws (with a safe message) when not. It may resolve
 * with safe details; details with `ok: false` report a failure that carries them (the problems
 * a target access check found). Without `mayCallTargets` it must answer from what it already
 * knows (`ok: true` when it knows nothing yet).
 */
export interface ReadinessCheck {
  name: string;
  /** A failing non-critical check is reported but does not make the bridge unready. */
  critical: boolean;
  check(options: { mayCallTargets: boolean }): Promise<void | Record<string, unknown>>;
}

/** Options of {@link healthRoutes}. */
export interface HealthOptions {
  readiness: readonly ReadinessCheck[];
  /** Who the caller is, from its `Authorization` header; everyone is anonymous by default. */
  callerOf?: (authorization: string | undefined) => AdminCaller;
}

type Status = 'ready' | 'degraded' | 'unready';

/** The health routes, mounted at the root. */
export function healthRoutes(options: HealthOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  router.get('/readyz', async (req, res, next) => {
    const caller = options.callerOf?.(req.header('authorization')) ?? 'anonymous';
    if (caller === 'refused') return next(new BridgeError('UNAUTHORIZED', 'wrong admin token: send none for the public status, or "Authorization: Bearer <http.adminToken>" for the details'));
    const report = await readiness(options.readiness, caller === 'admin');
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.ready ? 200 : 503).json(caller === 'admin' ? report : { status: report.status });
  });
  return router;
}

async function readiness(checks: readonly ReadinessCheck[], mayCallTargets: boolean): Promise<{ ready: boolean; status: Status; checks: Record<string, unknown>[] }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const started = performance.now();
      try {
        const detail = await withTimeout(c.check({ mayCallTargets }), 5_000);
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
