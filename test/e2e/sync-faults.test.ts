import { afterEach, describe, expect, it } from 'vitest';
import { injectFault, simControl, simRequests } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import type { TargetAccount } from '../../src/connectors/types.js';
import { convergeJob } from '../../src/sync/converge.js';
import { accountsWith, createScimUser, hasRoleOf, waitForAccount, waitForSync, person } from './sync-helpers.js';

/**
 * Faults during convergence: a target outage in the middle, a 429 storm with Retry-After, and a
 * worker that dies between the target call and its commit. Nothing is lost, nothing duplicated.
 */

describe.each(['sqlite', 'postgres'] as const)('faults on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('keeps accepting writes during a target outage and converges once it is back', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    const sim = tb.sims.get('redis-enterprise')!;
    await injectFault(sim, { kind: 'status', status: 503, rate: 1 });
    const ids = [];
    for (const name of ['outage1', 'outage2', 'outage3']) ids.push(await createScimUser(tb, 'redis-enterprise', okta.createUser(person(name))));
    const sync = await waitForSync(tb, 'redis-enterprise', ids[0]!, (s) => (s.lastError as { code?: string } | undefined)?.code === 'TARGET_UNAVAILABLE', 'transient error shown');
    expect(sync.state).toBe('pending');
    await simControl(sim, '/faults', undefined, 'DELETE');
    for (const [i, name] of ['outage1', 'outage2', 'outage3'].entries()) {
      await waitForAccount(tb, 'redis-enterprise', `${name}@example.com`, (a) => hasRoleOf(a, 'db_viewer'), 'converged after recovery');
      await waitForSync(tb, 'redis-enterprise', ids[i]!, (s) => s.state === 'synced' && s.lastError === undefined, 'synced');
    }
  });

  it('waits out a 429 storm as Retry-After asks', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], limits: { retries: 0 } });
    const sim = tb.sims.get('yardstik')!;
    // Only the bridge's writes: the test's own polling reads the target too.
    await injectFault(sim, { kind: 'status', status: 429, retryAfterSeconds: 1, count: 3, method: 'POST' });
    await simControl(sim, '/requests', undefined, 'DELETE');
    const started = Date.now();
    await createScimUser(tb, 'yardstik', okta.createUser(person('storm')));
    await waitForAccount(tb, 'yardstik', 'storm@example.com', (a) => a !== null, 'created after the storm');
    const log = (await simRequests(sim)).filter((r) => r.method === 'POST');
    const limited = log.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    expect(log).toHaveLength(4);
    // Each retry came at least Retry-After (1 s) after the 429 it answers.
    for (let i = 1; i < log.length; i++) if (log[i - 1]!.status === 429) expect(log[i]!.at - log[i - 1]!.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });

  it('a worker that dies between the target call and its commit leaves no duplicate', async () => {
    // The target lets a second account with the email in: only the bridge can avoid creating twice.
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false, engine: { leaseMs: 300 }, simulator: { allowDuplicateEmails: true } });
    const userId = await createScimUser(tb, 'redis-enterprise', okta.createUser(person('crash')));
    const connection = tb.bridge.engine.connection('redis-enterprise')!;
    const { connector } = connection;
    // "Worker A": claims the job and runs it the real way; its create reaches the target, then
    // the worker dies (the call never returns, its lease is never renewed nor released).
    const create = connector.createAccount.bind(connector);
    let created: TargetAccount | undefined;
    connector.createAccount = async (account, options) => {
      connector.createAccount = create;
      created = await create(account, options);
      return new Promise<TargetAccount>(() => {});
    };
    const [claimed] = await tb.store.claimJobs('redis-enterprise', { limit: 1, workerId: 'worker-a', leaseMs: 300 });
    expect(claimed?.userId).toBe(userId);
    void convergeJob({ store: tb.store, connection, guard: tb.bridge.engine.guard }, claimed!);
    await eventually(async () => created !== undefined, { what: 'worker A created the account' });
    // Worker B (the real engine) takes the job once A's lease expires.
    tb.bridge.engine.start();
    const sync = await waitForSync(tb, 'redis-enterprise', userId, (s) => s.state === 'synced', 'synced by the second worker');
    expect(sync.targetId).toBe(created?.id);
    expect(await accountsWith(tb, 'redis-enterprise', 'crash@example.com')).toHaveLength(1);
    // The second run found the account A created (the create was recorded before it was sent): no create.
    const audit = await tb.store.listAudit({ connection: 'redis-enterprise', userId });
    expect(audit.flatMap((r) => (r.decision.calls ?? []) as { op: string }[]).map((c) => c.op)).not.toContain('create');
  });

  it.each([
    ['ahead', 2 * 86_400_000],
    ['behind', -2 * 86_400_000],
  ])('decides how old a change is on the database clock, whatever the host clock (%s by two days)', async (_, skewMs) => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false, sync: { maxRetryAgeMs: 3_600_000 } });
    const sim = tb.sims.get('redis-enterprise')!;
    await injectFault(sim, { kind: 'status', status: 503, rate: 1 });
    const userId = await createScimUser(tb, 'redis-enterprise', okta.createUser(person('skewed')));
    const connection = tb.bridge.engine.connection('redis-enterprise')!;
    const [claimed] = await tb.store.claimJobs('redis-enterprise', { limit: 1, workerId: 'skewed-host', leaseMs: 60_000 });
    // The change is seconds old: a transient error is retried, never given up as older than an hour
    // because this host's clock runs ahead (or, behind, counted as younger than it is).
    const outcome = await convergeJob({ store: tb.store, connection, guard: tb.bridge.engine.guard, now: () => Date.now() + skewMs }, claimed!);
    expect(outcome).toMatchObject({ result: 'retry', error: { code: 'TARGET_UNAVAILABLE' } });
    expect((await tb.store.getSyncStates('redis-enterprise', [userId]))[0]).toMatchObject({ status: 'pending' });
  });

  it('gives a transient error up once the change is older than sync.maxRetryAgeMs on the database clock', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false, sync: { maxRetryAgeMs: 1_000 } });
    const sim = tb.sims.get('redis-enterprise')!;
    await injectFault(sim, { kind: 'status', status: 503, rate: 1 });
    const userId = await createScimUser(tb, 'redis-enterprise', okta.createUser(person('aged')));
    const connection = tb.bridge.engine.connection('redis-enterprise')!;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [claimed] = await tb.store.claimJobs('redis-enterprise', { limit: 1, workerId: 'w', leaseMs: 60_000 });
    // A host clock two days behind must not keep an old change retrying forever.
    const outcome = await convergeJob({ store: tb.store, connection, guard: tb.bridge.engine.guard, now: () => Date.now() - 2 * 86_400_000 }, claimed!);
    expect(outcome).toMatchObject({ result: 'failed' });
    expect((await tb.store.getSyncStates('redis-enterprise', [userId]))[0]).toMatchObject({ status: 'failed' });
  });
});
