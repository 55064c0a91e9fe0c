import { afterEach, describe, expect, it } from 'vitest';
import { injectFault, simControl } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, logLines, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { convergeJob } from '../../src/sync/converge.js';
import { RemovalGuard } from '../../src/sync/guard.js';
import { createScimUser, person, waitForSync } from './sync-helpers.js';

/**
 * A worker that lost its job's lease (paused past it, its clock off, its renewals lost) while a
 * second worker converged the user: the late run's result must not overwrite the newer state.
 */
describe.each(['sqlite', 'postgres'] as const)('a lease taken over by a second worker, on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('keeps the second worker\'s sync state when the first one finishes late', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false });
    const bridge = tb;
    const who = person('late');
    const userId = await createScimUser(bridge, 'redis-enterprise', okta.createUser(who));
    await bridge.bridge.engine.drain(['redis-enterprise']);
    await bridge.scim('redis-enterprise').put(`/Users/${userId}`, okta.putUser(userId, who, { givenName: 'Later' })).expect(200);
    const connection = bridge.bridge.engine.connection('redis-enterprise')!;
    // Worker A claims the job with a short lease, takes its target keys and stalls; worker B (the
    // engine) takes the job over once the lease ran out, and converges.
    const [stalled] = await bridge.store.claimJobs('redis-enterprise', { limit: 1, workerId: 'worker-a', leaseMs: 50 });
    let converged: unknown;
    const lock = bridge.store.lockTargets.bind(bridge.store);
    bridge.store.lockTargets = async (job, keys) => {
      const holder = await lock(job, keys);
      if (job.workerId !== 'worker-a') return holder;
      await eventually(async () => (await bridge.bridge.engine.drain(['redis-enterprise'])) > 0, { what: 'the lease to run out and B to converge' });
      converged = await waitForSync(bridge, 'redis-enterprise', userId, (s) => s.state === 'synced', 'synced by worker B');
      // A wakes up to a failing target: its run would record the user as pending with an error.
      await injectFault(bridge.sims.get('redis-enterprise')!, { kind: 'status', status: 503, rate: 1 });
      return holder;
    };
    const outcome = await convergeJob({ store: bridge.store, connection, guard: new RemovalGuard(bridge.store) }, stalled!);
    expect(outcome.result).toBe('retry');
    await simControl(bridge.sims.get('redis-enterprise')!, '/faults', undefined, 'DELETE');
    expect(await waitForSync(bridge, 'redis-enterprise', userId, () => true, 'read')).toEqual(converged);
    expect(await bridge.store.retryJob(stalled!, { delayMs: 0, lastError: 'late' })).toBe(false);
    const [late] = await bridge.store.listAudit({ connection: 'redis-enterprise', userId, limit: 1 });
    expect(late?.decision).toMatchObject({ outcome: 'pending', leaseLost: true });
    expect(bridge.logs.some((line) => line.includes('job lease lost'))).toBe(true);
  });

  it('sends nothing to the target from a run that lost its lease before it took its target keys', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false });
    const bridge = tb;
    const who = person('stale');
    const userId = await createScimUser(bridge, 'redis-enterprise', okta.createUser(who));
    await bridge.bridge.engine.drain(['redis-enterprise']);
    await bridge.scim('redis-enterprise').put(`/Users/${userId}`, okta.putUser(userId, who, { active: false })).expect(200);
    // A claims the deactivation (the claim reads its input) and stalls past its lease; B runs it,
    // then the IdP turns the user on again and B converges that too.
    const [stalled] = await bridge.store.claimJobs('redis-enterprise', { limit: 1, workerId: 'worker-a', leaseMs: 50 });
    await eventually(async () => (await bridge.bridge.engine.drain(['redis-enterprise'])) > 0, { what: 'the lease to run out and B to converge' });
    await bridge.scim('redis-enterprise').put(`/Users/${userId}`, okta.putUser(userId, who, { active: true })).expect(200);
    await bridge.bridge.engine.drain(['redis-enterprise']);
    const active = await waitForSync(bridge, 'redis-enterprise', userId, (s) => s.state === 'synced', 'active again');
    // A wakes up with the deactivation its claim read: it must not take the user's access away.
    const connection = bridge.bridge.engine.connection('redis-enterprise')!;
    const outcome = await convergeJob({ store: bridge.store, connection, guard: new RemovalGuard(bridge.store) }, stalled!);
    expect(outcome.result).toBe('busy');
    expect(await waitForSync(bridge, 'redis-enterprise', userId, () => true, 'read')).toEqual(active);
    const state = (await bridge.store.getSyncStates('redis-enterprise', [userId]))[0]!;
    const account = await connection.connector.getAccount!(state.targetId!, {});
    expect(account?.role).toBe(state.role);
    expect(account?.role).not.toBe('none');
  });
});

/** A guard that holds every removal; `before` runs first, inside the run (between the claim and the hold). */
class HoldingGuard extends RemovalGuard {
  constructor(
    tb: TestBridge,
    private readonly before: () => Promise<void> = async () => undefined,
  ) {
    super(tb.store);
  }
  override async admit(): Promise<{ ok: false; reason: string }> {
    await this.before();
    return { ok: false, reason: 'mass-deprovisioning guard: held by the test' };
  }
}

/** A removal the guard holds: the hold is a completion of the claimed job, fenced like the others. */
describe.each(['sqlite', 'postgres'] as const)('a removal held by a worker, on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  /** A synced yardstik user, then deactivated: its job is a removal (yardstik deletes the account). */
  async function deactivated(bridge: TestBridge, name: string): Promise<string> {
    const userId = await createScimUser(bridge, 'yardstik', okta.createUser(person(name)));
    await bridge.bridge.engine.drain(['yardstik']);
    await waitForSync(bridge, 'yardstik', userId, (s) => s.state === 'synced', 'created');
    await bridge.scim('yardstik').patch(`/Users/${userId}`, okta.setActive(false)).expect(200);
    return userId;
  }

  it('is not held by a worker whose lease ran out and another worker took', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], runWorkers: false });
    const bridge = tb;
    const userId = await deactivated(bridge, 'stale-hold');
    const connection = bridge.bridge.engine.connection('yardstik')!;
    const [stalled] = await bridge.store.claimJobs('yardstik', { limit: 1, workerId: 'worker-a', leaseMs: 60_000 });
    let taken: Awaited<ReturnType<typeof bridge.store.claimJobs>> = [];
    // While the guard decides, A's lease is lost (given back here, as a lapse would) and B takes the job.
    const loseLease = async (): Promise<void> => {
      await bridge.store.releaseJob(stalled!);
      taken = await bridge.store.claimJobs('yardstik', { limit: 1, workerId: 'worker-b', leaseMs: 60_000 });
      expect(taken.map((j) => j.userId)).toEqual([userId]);
    };
    const outcome = await convergeJob({ store: bridge.store, connection, guard: new HoldingGuard(bridge, loseLease) }, stalled!);
    expect(outcome.result).not.toBe('done');
    expect(await bridge.store.listJobs('yardstik', { held: true })).toEqual([]);
    expect((await bridge.store.getSyncStates('yardstik', [userId]))[0]?.status).not.toBe('held');
    // Like any run that lost its lease: audited as such, and a warn line says so.
    const [latest] = await bridge.store.listAudit({ connection: 'yardstik', userId, limit: 1 });
    expect(latest?.decision).toMatchObject({ outcome: 'held', leaseLost: true });
    expect(logLines(bridge.logs).some((line) => line.level === 'warn' && String(line.message).startsWith('job lease lost') && line.userId === userId)).toBe(true);
    // B still owns it and completes it as it was claimed.
    expect(await bridge.store.completeJob(taken[0]!)).toBe(true);
  });

  it('is not held when the user changed while the guard looked: the newer change runs, unheld', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], runWorkers: false });
    const bridge = tb;
    const userId = await deactivated(bridge, 'changed-hold');
    const connection = bridge.bridge.engine.connection('yardstik')!;
    const [job] = await bridge.store.claimJobs('yardstik', { limit: 1, workerId: 'worker-a', leaseMs: 60_000 });
    // The IdP reactivates the person while the guard decides on the removal the job was claimed for.
    const reactivate = async (): Promise<void> => {
      await bridge.scim('yardstik').patch(`/Users/${userId}`, okta.setActive(true)).expect(200);
    };
    const outcome = await convergeJob({ store: bridge.store, connection, guard: new HoldingGuard(bridge, reactivate) }, job!);
    expect(outcome.result).not.toBe('held');
    expect(await bridge.store.listJobs('yardstik', { held: true })).toEqual([]);
    expect((await bridge.store.getSyncStates('yardstik', [userId]))[0]?.status).not.toBe('held');
    await bridge.store.releaseJob(job!);
    // The reactivation was never seen by the guard and is no removal: it converges without approval.
    await bridge.bridge.engine.drain(['yardstik']);
    expect(await waitForSync(bridge, 'yardstik', userId, (s) => s.state === 'synced', 'reactivation converged')).toMatchObject({ state: 'synced' });
  });
});
