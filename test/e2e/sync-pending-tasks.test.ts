import { afterEach, describe, expect, it } from 'vitest';
import type { JobRow } from '../../src/directory/store.js';
import * as okta from '../fixtures/okta/requests.js';
import { simRequests } from '../contract/connector-contract.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person, waitForAccount, waitForSync } from './sync-helpers.js';

/**
 * A Redis Cloud task that outlives the connector's wait (`taskTimeoutMs`): the job keeps the
 * task id, and the next attempt waits for that task instead of submitting the write again.
 * Tasks here take 2 × `taskStepMs` (received → processing → completed); the connector waits
 * 100 ms for each, so every write outlives its first attempt.
 */
describe.each(['sqlite', 'postgres'] as const)('a Redis Cloud task slower than the wait, on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  const start = (taskStepMs: number, mode: 'eventual' | 'strict' = 'eventual', runWorkers = true): Promise<TestBridge> =>
    startTestBridge({ store: kind, types: ['redis-cloud'], mode, runWorkers, simulator: { taskStepMs, autoAcceptSeconds: 0.1 }, targets: { 'redis-cloud': { taskTimeoutMs: 100 } } });
  const writes = async (bridge: TestBridge, method: string, path: RegExp): Promise<number> =>
    (await simRequests(bridge.sims.get('redis-cloud')!)).filter((r) => r.method === method && path.test(r.path)).length;

  it('submits a slow create once and links the account its task made', async () => {
    tb = await start(400);
    const id = await createScimUser(tb, 'redis-cloud', okta.createUser(person('slowcreate')));
    await waitForSync(tb, 'redis-cloud', id, (s) => s.state === 'synced' && typeof s.targetId === 'string', 'linked once the task completed');
    expect(await writes(tb, 'POST', /\/v1\/users$/)).toBe(1);
  });

  it('submits a slow update once', async () => {
    tb = await start(400);
    const p = person('slowupdate');
    const id = await createScimUser(tb, 'redis-cloud', okta.createUser(p));
    await waitForSync(tb, 'redis-cloud', id, (s) => s.state === 'synced' && typeof s.targetId === 'string', 'created');
    await waitForAccount(tb, 'redis-cloud', p.userName, (a) => a?.status === 'active', 'invitation accepted');
    await tb.scim('redis-cloud').put(`/Users/${id}`, okta.putUser(id, p, { givenName: 'Renamed' })).expect(200);
    await waitForAccount(tb, 'redis-cloud', p.userName, (a) => a?.name === 'Renamed Test', 'renamed');
    await eventually(async () => (await tb!.store.listJobs('redis-cloud')).length === 0, { what: 'the job done' });
    expect(await writes(tb, 'PUT', /\/v1\/users\/\d+$/)).toBe(1);
  });

  it('lets other users through while a task is still pending', async () => {
    tb = await start(1_500);
    const first = await createScimUser(tb, 'redis-cloud', okta.createUser(person('pendingfirst')));
    await eventually(async () => (await tb!.store.listJobs('redis-cloud')).some((j) => j.userId === first && j.attempts > 0), { what: 'the first attempt timed out' });
    const firstTaskDone = Date.now() + 2_000;
    await createScimUser(tb, 'redis-cloud', okta.createUser(person('pendingsecond')));
    // The second create is submitted while the first task still runs: nobody waits out the task holding the account's write lock.
    await eventually(async () => (await writes(tb!, 'POST', /\/v1\/users$/)) === 2, { what: 'the second create submitted', timeoutMs: 5_000 });
    expect(Date.now()).toBeLessThan(firstTaskDone);
  });

  describe('strict mode: the write answers 503 while its task runs, and the task id stays with the user\'s job', () => {
    /** Sends `send` as an IdP would after each 503 (at once: a retry may come while the task still runs) until `status`; the statuses seen. */
    const retryUntil = async (send: () => Promise<{ status: number }>, status: number): Promise<number[]> => {
      const seen: number[] = [];
      await eventually(async () => {
        const res = await send();
        seen.push(res.status);
        if (res.status !== status && res.status !== 503) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res)}`);
        return res.status === status;
      }, { what: `answered ${status}`, timeoutMs: 10_000 });
      return seen;
    };
    const jobsDone = async (bridge: TestBridge): Promise<void> => {
      await eventually(async () => (await bridge.store.listJobs('redis-cloud')).length === 0, { what: 'no job left', timeoutMs: 10_000 });
    };
    const keptHandles = async (bridge: TestBridge): Promise<(string | null)[]> => (await bridge.store.listJobs('redis-cloud')).map((j) => j.pendingHandle);

    it('a slow create: 503, the worker runs the job, the retried POST links the task\'s account: one POST in total', async () => {
      // A 3 s task: it outlives the job's first run too (due twice the Retry-After, 2 s).
      tb = await start(1_500, 'strict');
      const scim = tb.scim('redis-cloud');
      const body = okta.createUser(person('strictslowcreate'));
      const refused = await scim.post('/Users', body);
      expect(refused.status, JSON.stringify(refused.body)).toBe(503);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(await keptHandles(tb)).toEqual([expect.any(String)]);
      await jobsDone(tb);
      const seen = await retryUntil(() => scim.post('/Users', body), 201);
      await jobsDone(tb);
      expect(await writes(tb, 'POST', /\/v1\/users$/), `statuses of the retries: ${seen.join(', ')}`).toBe(1);
    });

    it('a slow update: 503, the retried PUT waits for the task and finds it done: one PUT in total, none after the worker runs', async () => {
      tb = await start(400, 'strict');
      const scim = tb.scim('redis-cloud');
      const p = person('strictslowupdate');
      const created = okta.createUser(p);
      await retryUntil(() => scim.post('/Users', created), 201);
      const id = ((await scim.get(okta.probe(p.userName)).expect(200)).body as { Resources: { id: string }[] }).Resources[0]!.id;
      await waitForAccount(tb, 'redis-cloud', p.userName, (a) => a?.status === 'active', 'invitation accepted');
      await jobsDone(tb);
      const renamed = okta.putUser(id, p, { givenName: 'Renamed' });
      const refused = await scim.put(`/Users/${id}`, renamed);
      expect(refused.status, JSON.stringify(refused.body)).toBe(503);
      expect(await keptHandles(tb)).toEqual([expect.any(String)]);
      const seen = await retryUntil(() => scim.put(`/Users/${id}`, renamed), 200);
      await jobsDone(tb);
      expect((await waitForAccount(tb, 'redis-cloud', p.userName, (a) => a !== null, 'the account'))?.name).toBe('Renamed Test');
      expect(await writes(tb, 'PUT', /\/v1\/users\/\d+$/), `statuses of the retries: ${seen.join(', ')}`).toBe(1);
    });

    it('a slow update retried until it succeeds: the finished task is off the job, and the worker reads it no more', async () => {
      // No worker until the IdP's retry succeeded: what that retry leaves with the job is what the worker would find.
      tb = await start(400, 'strict', false);
      const bridge = tb;
      const scim = bridge.scim('redis-cloud');
      const p = person('strictsettled');
      await retryUntil(() => scim.post('/Users', okta.createUser(p)), 201);
      const id = ((await scim.get(okta.probe(p.userName)).expect(200)).body as { Resources: { id: string }[] }).Resources[0]!.id;
      await waitForAccount(bridge, 'redis-cloud', p.userName, (a) => a?.status === 'active', 'invitation accepted');
      await bridge.bridge.engine.drain(['redis-cloud']);
      const renamed = okta.putUser(id, p, { givenName: 'Renamed' });
      expect((await scim.put(`/Users/${id}`, renamed)).status).toBe(503);
      // (The create's refused attempts left jobs of their own, for ids never stored: only this user's job counts.)
      const jobOfUser = async (): Promise<JobRow | undefined> => (await bridge.store.listJobs('redis-cloud')).find((j) => j.userId === id);
      const taskId = (await jobOfUser())?.pendingHandle;
      expect(taskId).toEqual(expect.any(String));
      await retryUntil(() => scim.put(`/Users/${id}`, renamed), 200);
      // The write is stored, so its job waits for a worker; the task it waited for is finished and forgotten.
      expect(await jobOfUser()).toMatchObject({ pendingHandle: null });
      const taskReads = async (): Promise<number> => writes(bridge, 'GET', new RegExp(`/v1/tasks/${taskId}$`));
      const before = await taskReads();
      await bridge.bridge.engine.drain(['redis-cloud']);
      expect(await jobOfUser()).toBeUndefined();
      expect(await taskReads()).toBe(before);
      expect(await writes(bridge, 'PUT', /\/v1\/users\/\d+$/)).toBe(1);
    });

    it('a slow update the IdP never retries: the worker waits for the task, then puts back the stored state', async () => {
      tb = await start(400, 'strict');
      const scim = tb.scim('redis-cloud');
      const p = person('strictabandoned');
      await retryUntil(() => scim.post('/Users', okta.createUser(p)), 201);
      const id = ((await scim.get(okta.probe(p.userName)).expect(200)).body as { Resources: { id: string }[] }).Resources[0]!.id;
      await waitForAccount(tb, 'redis-cloud', p.userName, (a) => a?.status === 'active', 'invitation accepted');
      await jobsDone(tb);
      expect((await scim.put(`/Users/${id}`, okta.putUser(id, p, { givenName: 'Renamed' }))).status).toBe(503);
      await jobsDone(tb);
      expect((await waitForAccount(tb, 'redis-cloud', p.userName, (a) => a !== null, 'the account'))?.name).toBe('strictabandoned Test');
      // The strict write's task, then the worker's, one after the other: never a write beside a pending task.
      expect(await writes(tb, 'PUT', /\/v1\/users\/\d+$/)).toBe(2);
      expect(((await scim.get(`/Users/${id}`).expect(200)).body as { name: { givenName: string } }).name.givenName).toBe('strictabandoned');
    });
  });
});
