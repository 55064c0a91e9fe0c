import type { AccessMonitor } from './access-monitor.js';

/** A /readyz check (structurally the http layer's `ReadinessCheck`). */
export interface TargetReadinessCheck {
  name: string;
  critical: boolean;
  check(options: { mayCallTargets: boolean }): Promise<Record<string, unknown>>;
}

/**
 * One non-critical /readyz check per connection, answered from the access cache: it says who
 * the credentials belong to and what is wrong with them, and one bad target never takes the
 * whole bridge out of rotation. A public probe (`mayCallTargets: false`) reads the last answer
 * only, so no number of probes makes a target call.
 */
export function targetReadinessChecks(access: AccessMonitor, connections: readonly string[], now: () => number = Date.now): TargetReadinessCheck[] {
  return connections.map((name) => ({
    name: `target:${name}`,
    critical: false,
    check: async ({ mayCallTargets }) => {
      const report = mayCallTargets ? await access.check(name) : access.latest(name);
      if (!report) return { ok: true, checked: false };
      return {
        ok: report.ok,
        ...(report.identity !== undefined ? { identity: report.identity } : {}),
        ...(report.ok ? {} : { problems: report.problems }),
        checkedAt: new Date(report.checkedAt).toISOString(),
        ageMs: Math.max(0, now() - report.checkedAt),
      };
    },
  }));
}
