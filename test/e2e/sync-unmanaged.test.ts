import { readFileSync } from 'node:fs';
import path from 'node:path';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimRequestRecord } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import { convergeJob } from '../../src/sync/converge.js';
import { RemovalGuard } from '../../src/sync/guard.js';
import { isTargetWrite, simControl, simRequests } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, logLines, startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { accountsWith, createScimUser, person, targetAccount, waitForSync } from './sync-helpers.js';

/**
 * Accounts nobody manages: an account created in the target itself (seeded in the simulator,
 * no SCIM user behind it) is reported and left alone; with `unmanaged: remove` it is removed
 * once, through the mass-deprovisioning guard, and never while a SCIM user claims it.
 */

const types: ConnectorType[] = ['redis-cloud', 'redis-enterprise', 'yardstik', 'paradime'];
const appRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** The shipped mapping of a type with `unmanaged: remove` added. */
const removing = (type: ConnectorType): string => `${readFileSync(path.join(appRoot, 'mappings', `${type}.yaml`), 'utf8')}\nunmanaged: remove\n`;

/** Seeds accounts directly in a simulator, in its own seed shape. */
async function seed(tb: TestBridge, type: ConnectorType, emails: string[]): Promise<void> {
  const users = emails.map((email) =>
    type === 'yardstik' ? { email_address: email, first_name: 'Stray', last_name: 'Account' }
    : type === 'paradime' ? { email, name: 'Stray Account', accountType: 'DEVELOPER' }
    : type === 'redis-enterprise' ? { email, name: 'Stray Account', role: 'db_viewer' }
    : { email, name: 'Stray Account', role: 'Viewer' });
  await simControl(tb.sims.get(type)!, '/seed', { users });
}

/** Removals the target received: a DELETE, or Paradime's disableUser. */
async function removalWrites(tb: TestBridge, type: ConnectorType): Promise<SimRequestRecord[]> {
  return (await simRequests(tb.sims.get(type)!)).filter((r) => isTargetWrite(r) && (r.method === 'DELETE' || r.operation === 'mutation disableUser'));
}

/**
 * Runs jobs until none is left but held ones. One drain may end while a job put back for
 * another job's target lock is about to be due again (the two clocks round apart): drain again.
 */
async function settle(tb: TestBridge): Promise<void> {
  await eventually(async () => {
    await tb.bridge.engine.drain();
    for (const type of tb.sims.keys()) if ((await tb.store.listJobs(type, { held: false })).length > 0) return false;
    return true;
  }, { what: 'every unheld job run' });
}

/** The accounts the simulators hold when they start, and what the report says of them. */
const builtIn: Record<ConnectorType, { email: string; reported: boolean }> = {
  // The API key's own user: protected, never listed.
  'redis-cloud': { email: 'owner@sandbox.local', reported: false },
  'redis-enterprise': { email: 'admin@sandbox.local', reported: false },
  // The account's owner: protected, never listed.
  yardstik: { email: 'owner@sandbox.local', reported: false },
  // A workspace ADMIN that no SCIM user stands behind: listed, marked the last admin, never removed.
  paradime: { email: 'admin@sandbox.local', reported: true },
};

describe.each(['sqlite', 'postgres'] as const)('accounts nobody manages on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('reports an account seeded in each target, leaves it alone, and never lists managed or protected accounts', async () => {
    tb = await startTestBridge({ store: kind, types, simulator: { autoAcceptSeconds: 0.2 } });
    for (const type of types) {
      await seed(tb, type, ['stray@example.com']);
      const id = await createScimUser(tb, type, okta.createUser(person('managed')));
      await waitForSync(tb, type, id, (s) => s.state === 'synced' && s.accountStatus === 'active', 'managed user synced');
      await simControl(tb.sims.get(type)!, '/requests', undefined, 'DELETE');
    }
    const reports = await tb.bridge.reconciler.runNow();
    for (const type of types) {
      const expected = ['stray@example.com', ...(builtIn[type].reported ? [builtIn[type].email] : [])].sort();
      expect({ type, unmanaged: reports.find((r) => r.connection === type)?.unmanaged }).toEqual({ type, unmanaged: { accounts: expected.length, queued: 0 } });
      const report = await tb.store.getUnmanagedReport(type);
      expect({ type, emails: report?.accounts.map((a) => a.email).sort() }).toEqual({ type, emails: expected });
      expect(report).toMatchObject({ policy: 'report', total: expected.length });
      expect(report?.accounts.find((a) => a.email === 'stray@example.com')).toMatchObject({ action: 'report', accountStatus: 'active', protection: null });
      if (type === 'paradime') expect(report?.accounts.find((a) => a.email === builtIn.paradime.email)).toMatchObject({ protection: 'last-admin', action: 'report' });
      expect(await tb.store.listJobs(type)).toEqual([]);
    }
    // The status page and the metrics read the stored report: any replica shows it.
    const page = (await supertest(tb.bridge.url).get('/status').expect(200)).text;
    expect(page).toContain('Accounts nobody manages');
    expect(page).toContain('<dt>unmanaged accounts</dt><dd>1</dd>');
    expect(page).toContain('stray@example.com');
    const metrics = (await supertest(tb.bridge.url).get('/metrics').expect(200)).text;
    expect(metrics).toContain('scim_bridge_unmanaged_accounts{connection="yardstik"} 1');
    expect(metrics).toContain('scim_bridge_unmanaged_accounts{connection="paradime"} 2');
    // A second reconcile: the same report, the same first-seen time, still nothing written.
    const before = await tb.store.getUnmanagedReport('yardstik');
    await tb.bridge.reconciler.runNow();
    const after = await tb.store.getUnmanagedReport('yardstik');
    expect(after?.accounts.map((a) => [a.email, a.firstSeenAt])).toEqual(before?.accounts.map((a) => [a.email, a.firstSeenAt]));
    expect(after!.at).toBeGreaterThanOrEqual(before!.at);
    for (const type of types) {
      expect({ type, writes: (await simRequests(tb.sims.get(type)!)).filter(isTargetWrite) }).toEqual({ type, writes: [] });
      expect({ type, stray: (await targetAccount(tb, type, 'stray@example.com'))?.email }).toEqual({ type, stray: 'stray@example.com' });
    }
  });

  it('with unmanaged: remove, removes each account once, through the guard, and waits for approval beyond it', async () => {
    const mappings = Object.fromEntries(types.map((type) => [type, removing(type)]));
    // The guard lets one removal per window through: the second and third are held.
    tb = await startTestBridge({ store: kind, types, mappings, sync: { guardMinimum: 1, guardShare: 0 }, runWorkers: false });
    const strays = ['stray1@example.com', 'stray2@example.com', 'stray3@example.com'];
    for (const type of types) {
      await seed(tb, type, strays);
      await simControl(tb.sims.get(type)!, '/requests', undefined, 'DELETE');
    }
    const reports = await tb.bridge.reconciler.runNow();
    for (const type of types) {
      expect({ type, unmanaged: reports.find((r) => r.connection === type)?.unmanaged }).toEqual({ type, unmanaged: { accounts: type === 'paradime' ? 4 : 3, queued: 3 } });
      const report = await tb.store.getUnmanagedReport(type);
      expect(report?.accounts.filter((a) => a.action === 'remove').map((a) => a.email)).toEqual(strays);
      if (type === 'paradime') expect(report?.accounts.find((a) => a.email === builtIn.paradime.email)).toMatchObject({ action: 'keep', protection: 'last-admin' });
    }
    await settle(tb);
    for (const type of types) {
      const held = await tb.store.listJobs(type, { held: true });
      expect({ type, held: held.length }).toEqual({ type, held: 2 });
      expect(held[0]?.heldReason).toMatch(/mass-deprovisioning guard.*scim-bridge approve --connection/);
      const left = await Promise.all(strays.map((email) => targetAccount(tb!, type, email)));
      expect({ type, left: left.filter((a) => a !== null).length }).toEqual({ type, left: 2 });
    }
    // Another reconcile queues nothing again: the held removals wait for approval.
    for (const report of await tb.bridge.reconciler.runNow()) expect(report.unmanaged.queued).toBe(0);
    await settle(tb);
    for (const type of types) expect((await tb.store.listJobs(type, { held: true })).length).toBe(2);

    for (const type of types) expect(await tb.store.releaseJobs(type)).toBe(2);
    await settle(tb);
    const last = await tb.bridge.reconciler.runNow();
    await settle(tb);
    for (const type of types) {
      for (const email of strays) expect({ type, email, left: await targetAccount(tb, type, email) }).toEqual({ type, email, left: null });
      expect({ type, writes: (await removalWrites(tb, type)).length }).toEqual({ type, writes: 3 });
      expect(last.find((r) => r.connection === type)?.unmanaged).toEqual({ accounts: type === 'paradime' ? 1 : 0, queued: 0 });
      expect(await tb.store.listJobs(type)).toEqual([]);
      const audit = await tb.store.listAudit({ connection: type, limit: 100 });
      const outcomes = audit.filter((r) => r.decision.unmanaged === true).map((r) => r.decision.outcome);
      expect({ type, removed: outcomes.filter((o) => o === 'removed').length, held: outcomes.filter((o) => o === 'held').length }).toEqual({ type, removed: 3, held: 2 });
    }
    expect(await targetAccount(tb, 'paradime', builtIn.paradime.email)).not.toBeNull();
  });

  it('never lists nor removes an account the mapping protects', async () => {
    const mapping = removing('yardstik').replace(/^protected:\n  # .*\n  emails: \[\]$/m, 'protected:\n  emails: [Boss@Example.com]');
    expect(mapping).toContain('emails: [Boss@Example.com]');
    tb = await startTestBridge({ store: kind, types: ['yardstik'], mappings: { yardstik: mapping }, runWorkers: false });
    await seed(tb, 'yardstik', ['boss@example.com', 'stray@example.com']);
    const [report] = await tb.bridge.reconciler.runNow();
    expect(report?.unmanaged).toEqual({ accounts: 1, queued: 1 });
    expect((await tb.store.getUnmanagedReport('yardstik'))?.accounts.map((a) => a.email)).toEqual(['stray@example.com']);
    // Even a removal job queued for it by hand finds the account protected.
    await tb.store.enqueueAccountJobs('yardstik', ['unmanaged:boss@example.com']);
    await settle(tb);
    expect(await targetAccount(tb, 'yardstik', 'boss@example.com')).not.toBeNull();
    expect(await targetAccount(tb, 'yardstik', 'stray@example.com')).toBeNull();
    const [record] = await tb.store.listAudit({ connection: 'yardstik', userId: 'unmanaged:boss@example.com' });
    expect(record?.decision).toMatchObject({ outcome: 'skipped', note: 'not removed: the account is protected' });
  });

  it('never removes an account a SCIM user claims after the reconcile queued its removal', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], mappings: { 'redis-enterprise': removing('redis-enterprise') }, runWorkers: false });
    await seed(tb, 'redis-enterprise', ['late@example.com']);
    const seeded = await targetAccount(tb, 'redis-enterprise', 'late@example.com');
    const [report] = await tb.bridge.reconciler.runNow();
    expect(report?.unmanaged).toEqual({ accounts: 1, queued: 1 });
    // The IdP provisions the person before the worker gets to the removal.
    const id = await createScimUser(tb, 'redis-enterprise', okta.createUser(person('late')));
    await simControl(tb.sims.get('redis-enterprise')!, '/requests', undefined, 'DELETE');
    await settle(tb);
    expect(await removalWrites(tb, 'redis-enterprise')).toEqual([]);
    expect(await accountsWith(tb, 'redis-enterprise', 'late@example.com')).toEqual([expect.objectContaining({ id: seeded?.id })]);
    const [state] = await tb.store.getSyncStates('redis-enterprise', [id]);
    expect(state).toMatchObject({ targetId: seeded?.id, status: 'synced', isManaged: true });
    const [second] = await tb.bridge.reconciler.runNow();
    expect(second?.unmanaged).toEqual({ accounts: 0, queued: 0 });
  });

  it('neither reports nor removes an account whose create is in flight (recorded before it is sent)', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], mappings: { yardstik: removing('yardstik') }, runWorkers: false });
    await seed(tb, 'yardstik', ['inflight@example.com']);
    // What apply.ts records before sending a create: a pending state holding the email, no account id yet.
    await tb.store.putSyncState({
      connection: 'yardstik', userId: '00000000-0000-4000-8000-000000000001', status: 'pending', targetId: null, targetEmail: 'inflight@example.com',
      role: null, isManaged: false, accountStatus: 'absent', lastError: null, lastSyncAt: null, updatedAt: Date.now(),
    });
    const [report] = await tb.bridge.reconciler.runNow();
    expect(report?.unmanaged).toEqual({ accounts: 0, queued: 0 });
    // A removal queued by an earlier reconcile, before the create was recorded, asks again and keeps the account.
    await tb.store.enqueueAccountJobs('yardstik', ['unmanaged:inflight@example.com']);
    await simControl(tb.sims.get('yardstik')!, '/requests', undefined, 'DELETE');
    await settle(tb);
    expect(await removalWrites(tb, 'yardstik')).toEqual([]);
    expect(await targetAccount(tb, 'yardstik', 'inflight@example.com')).not.toBeNull();
    const [record] = await tb.store.listAudit({ connection: 'yardstik', userId: 'unmanaged:inflight@example.com' });
    expect(record?.decision).toMatchObject({ unmanaged: true, outcome: 'skipped', note: expect.stringMatching(/sync state/) });
  });

  it('is not held by a worker whose lease ran out and another worker took (the hold is fenced like a completion)', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], mappings: { yardstik: removing('yardstik') }, runWorkers: false });
    const bridge = tb;
    await seed(bridge, 'yardstik', ['stale@example.com']);
    const [report] = await bridge.bridge.reconciler.runNow();
    expect(report?.unmanaged).toEqual({ accounts: 1, queued: 1 });
    const [stalled] = await bridge.store.claimJobs('yardstik', { limit: 1, workerId: 'worker-a', leaseMs: 60_000 });
    let taken: Awaited<ReturnType<typeof bridge.store.claimJobs>> = [];
    // While the guard decides, A's lease is lost (given back here, as a lapse would) and B takes the removal.
    const holding = new (class extends RemovalGuard {
      override async admit(): Promise<{ ok: false; reason: string }> {
        await bridge.store.releaseJob(stalled!);
        taken = await bridge.store.claimJobs('yardstik', { limit: 1, workerId: 'worker-b', leaseMs: 60_000 });
        return { ok: false, reason: 'mass-deprovisioning guard: held by the test' };
      }
    })(bridge.store);
    const outcome = await convergeJob({ store: bridge.store, connection: bridge.bridge.engine.connection('yardstik')!, guard: holding }, stalled!);
    expect(outcome.result).toBe('busy');
    expect(await bridge.store.listJobs('yardstik', { held: true })).toEqual([]);
    expect(await targetAccount(bridge, 'yardstik', 'stale@example.com')).not.toBeNull();
    // Audited as a run that lost its lease, with a warn line, as a user's job would be.
    const [latest] = await bridge.store.listAudit({ connection: 'yardstik', userId: stalled!.userId, limit: 1 });
    expect(latest?.decision).toMatchObject({ unmanaged: true, outcome: 'held', leaseLost: true });
    expect(logLines(bridge.logs).some((line) => line.level === 'warn' && String(line.message).startsWith('job lease lost'))).toBe(true);
    expect(await bridge.store.completeJob(taken[0]!)).toBe(true);
  });

  it('waits while a user\'s job holds the account\'s email lock (a create or an adoption under way)', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], mappings: { yardstik: removing('yardstik') }, runWorkers: false });
    await seed(tb, 'yardstik', ['locked@example.com']);
    const [report] = await tb.bridge.reconciler.runNow();
    expect(report?.unmanaged).toEqual({ accounts: 1, queued: 1 });
    // A user's job has locked the email (apply.ts locks before it reads, records or creates anything).
    const userJob = await tb.store.leaseJob('yardstik', '00000000-0000-4000-8000-000000000002', { workerId: 'other-worker', leaseMs: 60_000 });
    expect(await tb.store.lockTargets(userJob!, ['email:locked@example.com'])).toBeNull();
    const [removal] = await tb.store.claimJobs('yardstik', { limit: 10, workerId: 'test', leaseMs: 60_000 });
    expect(removal?.userId).toBe('unmanaged:locked@example.com');
    await simControl(tb.sims.get('yardstik')!, '/requests', undefined, 'DELETE');
    const connection = tb.bridge.engine.connection('yardstik')!;
    const outcome = await convergeJob({ store: tb.store, connection, guard: tb.bridge.engine.guard }, removal!);
    expect(outcome).toMatchObject({ result: 'busy' });
    expect(await simRequests(tb.sims.get('yardstik')!)).toEqual([]);
    expect(await targetAccount(tb, 'yardstik', 'locked@example.com')).not.toBeNull();
  });
});
