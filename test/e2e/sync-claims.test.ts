import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/directory/store.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person } from './sync-helpers.js';

/**
 * The worker claims jobs in batches, ahead of the free slots: one claim per half-batch of jobs
 * rather than one per job, and jobs claimed ahead but never started are given back on stop, so
 * another worker takes them at once instead of after their lease. A claim reads its jobs' input
 * (user, groups, state); a change after the claim makes the job run again on what changed.
 */

const TYPE = 'redis-enterprise';
const GROUP = 'Claim Admins';
const mapping = ['type: redis-enterprise', 'roles:', '  default: db_viewer', '  rules:', `    - group: ${GROUP}`, '      role: admin', 'deactivate: role:none', 'delete: delete', ''].join('\n');

describe.each(['sqlite', 'postgres'] as const)('claims on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  async function queueUsers(count: number, concurrency: number): Promise<{ claims: ClaimedJob[][] }> {
    tb = await startTestBridge({ store: kind, types: [TYPE], runWorkers: false, simulator: { latencyMs: 10 }, limits: { concurrency } });
    for (let i = 0; i < count; i++) await createScimUser(tb, TYPE, okta.createUser(person(`claim${i}`)));
    const claims: ClaimedJob[][] = [];
    const claim = tb.store.claimJobs.bind(tb.store);
    tb.store.claimJobs = async (connection, options) => {
      const jobs = await claim(connection, options);
      if (jobs.length > 0) claims.push(jobs);
      return jobs;
    };
    return { claims };
  }

  it('claims about one batch per half of its concurrency, not one claim per job', async () => {
    const { claims } = await queueUsers(40, 4);
    tb!.bridge.engine.start();
    await eventually(async () => (await tb!.store.syncSummary(TYPE)).byStatus.synced === 40, { timeoutMs: 20_000, what: '40 users synced' });
    expect(claims.flat()).toHaveLength(40);
    // 40 jobs in claims of at least 2 (half of 4), the first claim taking 8.
    expect(claims.length).toBeLessThanOrEqual(20);
  });

  it('gives back the jobs it claimed ahead when it stops', async () => {
    const { claims } = await queueUsers(10, 2);
    const connector = tb!.bridge.engine.connection(TYPE)!.connector;
    const started: string[] = [];
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const create = connector.createAccount.bind(connector);
    connector.createAccount = async (account, options) => {
      started.push(account.email);
      await blocked;
      return create(account, options);
    };
    const engine = tb!.bridge.engine;
    engine.start();
    await eventually(async () => started.length === 2 && claims.flat().length === 4, { what: '2 jobs running, 2 claimed ahead' });
    const stopping = engine.stop(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    unblock();
    await stopping;
    // The two that ran are done; the two claimed ahead are free again, like the six never claimed.
    const free = await tb!.store.claimJobs(TYPE, { limit: 100, workerId: 'other', leaseMs: 60_000 });
    expect(free).toHaveLength(8);
  });

  it('runs a job again when its user changed after the claim read its input', async () => {
    tb = await startTestBridge({ store: kind, types: [TYPE], runWorkers: false, mappings: { [TYPE]: mapping }, limits: { concurrency: 2 } });
    const id = await createScimUser(tb, TYPE, okta.createUser(person('late')));
    const scim = tb.scim(TYPE);
    const group = (await scim.post('/Groups', okta.createGroup(GROUP)).expect(201)).body as { id: string };
    const claims: ClaimedJob[] = [];
    const claim = tb.store.claimJobs.bind(tb.store);
    tb.store.claimJobs = async (connection, options) => {
      const jobs = await claim(connection, options);
      // Claimed, not run yet: the IdP puts the user in the admin group.
      if (claims.length === 0 && jobs.length > 0) await scim.patch(`/Groups/${group.id}`, okta.changeMembers([], [{ value: id, display: 'late@example.com' }])).expect(204);
      claims.push(...jobs);
      return jobs;
    };
    expect(await tb.bridge.engine.drain([TYPE])).toBe(2);
    // The first run went on the input its claim read (no group); the second on the change.
    expect(claims.map((job) => job.input?.groups.map((g) => g.displayName))).toEqual([[], [GROUP]]);
    expect(await tb.store.listSyncStates(TYPE)).toEqual([expect.objectContaining({ userId: id, status: 'synced', role: 'admin' })]);
    expect(await tb.store.listJobs(TYPE)).toEqual([]);
  });
});
