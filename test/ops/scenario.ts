import { expect } from 'vitest';
import { eventually } from '../helpers/bridge.js';
import { scimUser, startOpsBridge, type OpsBridge, type OpsBridgeOptions } from './ops-bridge.js';

/**
 * A bridge in the state an operator would open the status page for: Yardstik with users
 * synced, one failed (the target rejected it), one removal held by the mass-deprovisioning
 * guard; Redis Enterprise signed in as a user without user-management rights (an access
 * problem, a failed user, a failed reconcile).
 */

export const VIEWER = { email: 'viewer@example.com', password: 'viewer-pass-K2dLs8Qe' };
export const SYNCED = ['ada.lovelace@example.com', 'alan.turing@example.com', 'grace.hopper@example.com', 'edsger.dijkstra@example.com'];
export const FAILED = 'barbara.liskov@example.com';

/** Starts the bridge of the scenario (with `extra` options merged in) and drives it there. */
export async function startStatusScenario(extra: Partial<OpsBridgeOptions> = {}): Promise<OpsBridge> {
  const ops = await startOpsBridge({
    types: ['yardstik', 'redis-enterprise'],
    targets: { 'redis-enterprise': { username: VIEWER.email, password: VIEWER.password } },
    // A removal beyond the first within the window is held.
    connection: { sync: { inlineWaitMs: 0, guardMinimum: 1, guardShare: 0 } },
    beforeStart: async (sims) => {
      await postJson(`${sims.get('redis-enterprise')?.url}/_sim/seed`, { users: [{ email: VIEWER.email, role: 'cluster_viewer', password: VIEWER.password }] });
    },
    ...extra,
  });
  try {
    await driveScenario(ops);
  } catch (err) {
    await ops.close();
    throw err;
  }
  return ops;
}

async function driveScenario(ops: OpsBridge): Promise<void> {
  const ids = new Map<string, string>();
  for (const email of SYNCED) ids.set(email, String((await ops.scim('yardstik').post('/Users', scimUser(email)).expect(201)).body.id));
  await eventually(async () => (await ops.bridge.store.syncSummary('yardstik')).byStatus.synced === SYNCED.length, { what: 'the yardstik users to sync' });
  await postJson(`${ops.sims.get('yardstik')?.url}/_sim/faults`, { kind: 'status', status: 422, method: 'POST', count: 1 });
  await ops.scim('yardstik').post('/Users', scimUser(FAILED)).expect(201);
  await ops.scim('redis-enterprise').post('/Users', scimUser('ken.thompson@example.com')).expect(201);
  await eventually(async () => (await ops.bridge.store.syncSummary('yardstik')).byStatus.failed === 1, { what: 'the rejected yardstik user' });
  await eventually(async () => (await ops.bridge.store.syncSummary('redis-enterprise')).byStatus.failed === 1, { what: 'the refused redis-enterprise user' });
  // Two removals: the guard lets one through and holds the other.
  await ops.scim('yardstik').delete(`/Users/${ids.get(SYNCED[2] as string)}`).expect(204);
  await ops.scim('yardstik').delete(`/Users/${ids.get(SYNCED[3] as string)}`).expect(204);
  await eventually(async () => (await ops.bridge.store.listJobs('yardstik', { held: true })).length === 1, { what: 'a held removal' });
  await ops.bridge.reconciler.runNow();
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBeLessThan(300);
}
