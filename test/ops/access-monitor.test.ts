import { describe, expect, it } from 'vitest';
import type { AccessCheck, CallOptions } from '../../src/connectors/types.js';
import { createAccessMonitor } from '../../src/observability/access-monitor.js';

/** A connector whose checkAccess answers what the test says, counting calls. */
function fakeConnector(answer: (options: CallOptions) => Promise<AccessCheck>) {
  const calls: CallOptions[] = [];
  const checkAccess = (options: CallOptions = {}): Promise<AccessCheck> => {
    calls.push(options);
    return answer(options);
  };
  return { calls, connector: { checkAccess } };
}

describe('createAccessMonitor', () => {
  it('reuses an answer for ttlMs and shares one call among concurrent askers', async () => {
    let now = 1_000;
    const target = fakeConnector(async () => ({ ok: true, identity: 'owner@example.com', problems: [] }));
    const monitor = createAccessMonitor([{ name: 'a', ...target }], { ttlMs: 10_000, now: () => now });
    expect(monitor.latest('a')).toBeUndefined();
    const reports = await Promise.all([monitor.check('a'), monitor.check('a'), monitor.checkAll()]);
    expect(target.calls).toHaveLength(1);
    expect(reports[0]).toMatchObject({ connection: 'a', ok: true, identity: 'owner@example.com', problems: [], checkedAt: 1_000 });
    now += 9_999;
    await monitor.check('a');
    expect(target.calls).toHaveLength(1);
    now += 1;
    await monitor.check('a');
    expect(target.calls).toHaveLength(2);
    expect(monitor.latest('a')?.checkedAt).toBe(now);
  });

  it('reports the connector problems, thrown errors and silence as problems, never throws', async () => {
    const wrongRights = fakeConnector(async () => ({ ok: false, identity: 'viewer@example.com', problems: ['the API key user is a Viewer'] }));
    const broken = fakeConnector(async () => {
      throw new Error('socket hang up');
    });
    // Ignores its abort signal: the monitor's own deadline still answers.
    const silent = fakeConnector(() => new Promise<AccessCheck>(() => undefined));
    const monitor = createAccessMonitor(
      [
        { name: 'rights', ...wrongRights },
        { name: 'broken', ...broken },
        { name: 'silent', ...silent },
      ],
      { timeoutMs: 50 },
    );
    const [rights, thrown, late] = await monitor.checkAll();
    expect(rights).toMatchObject({ ok: false, identity: 'viewer@example.com', problems: ['the API key user is a Viewer'] });
    expect(thrown).toMatchObject({ ok: false, problems: ['socket hang up'] });
    expect(late).toMatchObject({ ok: false, problems: ['the target did not answer within 50 ms'] });
    expect(silent.calls[0]?.signal?.aborted).toBe(true);
    expect(await monitor.check('nope')).toMatchObject({ ok: false, problems: ['no such connection'] });
  });

  it('calls onChange when access flips, not on the first check nor when it stays the same', async () => {
    let now = 0;
    let ok = false;
    const target = fakeConnector(async () => ({ ok, problems: ok ? [] : ['401'] }));
    const changes: string[] = [];
    const monitor = createAccessMonitor([{ name: 'a', ...target }], {
      ttlMs: 10,
      now: () => now,
      onChange: (report, previous) => changes.push(`${previous.ok ? 'ok' : 'failing'}->${report.ok ? 'ok' : 'failing'}`),
    });
    await monitor.check('a');
    now += 10;
    await monitor.check('a');
    expect(changes).toEqual([]);
    ok = true;
    now += 10;
    await monitor.check('a');
    now += 10;
    await monitor.check('a');
    ok = false;
    now += 10;
    await monitor.check('a');
    expect(changes).toEqual(['failing->ok', 'ok->failing']);
  });

  it('calls onFailing when access starts failing: on a first check that fails, and when a passing one fails, once each', async () => {
    let now = 0;
    let ok = false;
    const target = fakeConnector(async () => ({ ok, problems: ok ? [] : ['401'] }));
    const failing: string[][] = [];
    const monitor = createAccessMonitor([{ name: 'a', ...target }], { ttlMs: 10, now: () => now, onFailing: (report) => failing.push(report.problems) });
    await monitor.check('a');
    now += 10;
    await monitor.check('a');
    expect(failing).toEqual([['401']]);
    ok = true;
    now += 10;
    await monitor.check('a');
    ok = false;
    now += 10;
    await monitor.check('a');
    now += 10;
    await monitor.check('a');
    expect(failing).toEqual([['401'], ['401']]);
  });

  it('suspect() checks at once, ignoring a fresh cached answer', async () => {
    let ok = true;
    const target = fakeConnector(async () => ({ ok, problems: [] }));
    const changes: boolean[] = [];
    const monitor = createAccessMonitor([{ name: 'a', ...target }], { ttlMs: 60_000, onChange: (report) => changes.push(report.ok) });
    await monitor.check('a');
    ok = false;
    expect(await monitor.suspect('a')).toMatchObject({ ok: false });
    expect(target.calls).toHaveLength(2);
    expect(monitor.latest('a')?.ok).toBe(false);
    expect(changes).toEqual([false]);
  });

  it('watch() re-checks only the connections whose last check failed, until stopped', async () => {
    const failing = fakeConnector(async () => ({ ok: false, problems: ['401'] }));
    const fine = fakeConnector(async () => ({ ok: true, problems: [] }));
    const monitor = createAccessMonitor([{ name: 'failing', ...failing }, { name: 'fine', ...fine }], { ttlMs: 0 });
    await monitor.checkAll();
    const stop = monitor.watch(20);
    const deadline = Date.now() + 5_000;
    while (failing.calls.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    expect(failing.calls.length).toBeGreaterThanOrEqual(4);
    expect(fine.calls).toHaveLength(1);
    const after = failing.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(failing.calls.length).toBeLessThanOrEqual(after + 1);
  });
});
