import { afterEach, describe, expect, it } from 'vitest';
import { injectFault, simControl } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
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
    const userId = await createScimUser(bridge, 'redis-enterprise', okta.createUser(person('late')));
    const connection = bridge.bridge.engine.connection('redis-enterprise')!;
    // Worker A claims the job with a short lease and stalls; worker B (the engine) takes it over and converges.
    const [stalled] = await bridge.store.claimJobs('redis-enterprise', { limit: 1, workerId: 'worker-a', leaseMs: 50 });
    await eventually(async () => (await bridge.bridge.engine.drain(['redis-enterprise'])) > 0, { what: 'the lease to run out and B to converge' });
    const converged = await waitForSync(bridge, 'redis-enterprise', userId, (s) => s.state === 'synced', 'synced by worker B');
    // A wakes up to a failing target: its run would record the user as pending with an error.
    await injectFault(bridge.sims.get('redis-enterprise')!, { kind: 'status', status: 503, rate: 1 });
    const outcome = await convergeJob({ store: bridge.store, connection, guard: new RemovalGuard(bridge.store) }, stalled!);
    expect(outcome.result).toBe('retry');
    await simControl(bridge.sims.get('redis-enterprise')!, '/faults', undefined, 'DELETE');
    expect(await waitForSync(bridge, 'redis-enterprise', userId, () => true, 'read')).toEqual(converged);
    expect(await bridge.store.retryJob(stalled!, { delayMs: 0, lastError: 'late' })).toBe(false);
    const [late] = await bridge.store.listAudit({ connection: 'redis-enterprise', userId, limit: 1 });
    expect(late?.decision).toMatchObject({ outcome: 'pending', leaseLost: true });
    expect(bridge.logs.some((line) => line.includes('job lease lost'))).toBe(true);
  });
});
