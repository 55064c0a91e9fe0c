import { selfSignedCertificate } from '../../net/listen.js';
import type { SimulatorOptions } from '../definition.js';
import { SimulatorControls, createSimulatorApp, type Simulator } from '../simulator-kit.js';
import { mountClusterApi } from './simulator-routes.js';
import { RedisEnterpriseSimState } from './simulator-state.js';

/** Options of the Redis Enterprise simulator. */
export interface RedisEnterpriseSimulatorOptions extends SimulatorOptions {
  /** Serve HTTPS with a self-signed certificate generated at start (the real API is HTTPS-only on 9443, redis.io REST API overview). */
  https?: boolean;
  /** Start with password complexity on (off by default, as on a real cluster, redis.io password complexity rules). */
  passwordComplexity?: boolean;
  /** `password_min_length` (8..256, default 8). */
  passwordMinLength?: number;
}

/** The simulator, plus its certificate when HTTPS is on (`serveSimulator(sim, { tls: sim.tls })`). */
export interface RedisEnterpriseSimulator extends Simulator {
  readonly tls: { key: string; cert: string } | undefined;
}

/** Default sign-in of the simulated cluster: the admin user with uid 1. */
export const redisEnterpriseDefaultCredentials = { username: 'admin@sandbox.local', password: 'sandbox' } as const;

/** Builds the Redis Enterprise simulator (served at a root or under a prefix; `targetUrl` is where it is served). */
export function createRedisEnterpriseSimulator(options: RedisEnterpriseSimulatorOptions = {}): RedisEnterpriseSimulator {
  const credentials = { ...redisEnterpriseDefaultCredentials, ...options.credentials };
  const controls = new SimulatorControls(options);
  const state = new RedisEnterpriseSimState({
    username: credentials.username,
    password: credentials.password,
    passwordComplexity: options.passwordComplexity ?? false,
    passwordMinLength: options.passwordMinLength ?? 8,
    allowsDuplicateEmails: () => controls.allowDuplicateEmails,
  });
  const app = createSimulatorApp(controls, {
    reset: () => state.reset(),
    seed: (body) => state.seed(body),
    snapshot: () => state.snapshot(),
  });
  mountClusterApi(app, state);
  return {
    type: 'redis-enterprise',
    app,
    controls,
    credentials,
    tls: options.https ? selfSignedCertificate(30) : undefined,
    targetUrl: (servedAt) => servedAt,
    // No timers to stop: only requests held by a `hang` fault to drop.
    close: () => controls.releaseHung(),
  };
}
