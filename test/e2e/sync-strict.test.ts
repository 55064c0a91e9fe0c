import { afterEach, describe, expect, it } from 'vitest';
import { injectFault, isTargetWrite, simControl, simRequests } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { hasRoleOf, SYNC, targetAccount, waitForAccount, person } from './sync-helpers.js';

const paradimeAdmin = { roles: [{ value: 'paradime-admin' }] };

/** Strict mode (docs/architecture.md, "Modes per connection"): a SCIM write succeeds only if the target accepted it; nothing is stored otherwise. */

describe.each(['sqlite', 'postgres'] as const)('strict mode on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('answers 201 only once the account exists, and 503 with Retry-After when the target is down', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], mode: 'strict', runWorkers: false });
    const scim = tb.scim('redis-enterprise');
    const created = await scim.post('/Users', okta.createUser(person('strict'))).expect(201);
    expect((created.body as Record<string, Record<string, unknown>>)[SYNC]).toMatchObject({ state: 'synced', accountStatus: 'active', effectiveRole: 'db_viewer' });
    expect(hasRoleOf(await targetAccount(tb, 'redis-enterprise', 'strict@example.com'), 'db_viewer')).toBe(true);

    const sim = tb.sims.get('redis-enterprise')!;
    await injectFault(sim, { kind: 'status', status: 503, rate: 1 });
    const refused = await scim.post('/Users', okta.createUser(person('refused'))).expect(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
    await simControl(sim, '/faults', undefined, 'DELETE');
    const none = await scim.get(okta.probe('refused@example.com')).expect(200);
    expect(none.body).toMatchObject({ totalResults: 0 });
    expect(await targetAccount(tb, 'redis-enterprise', 'refused@example.com')).toBeNull();
  });

  it('answers a permanent target refusal with its 4xx and keeps the directory as it was', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], mode: 'strict', runWorkers: false, simulator: { autoAcceptSeconds: 0.1 } });
    const scim = tb.scim('paradime');
    const created = await scim.post('/Users', okta.createUser(person('pd'))).expect(201);
    const id = (created.body as { id: string }).id;
    // The invitation must be accepted before Paradime can disable the user (no uid before).
    await waitForAccount(tb, 'paradime', 'pd@example.com', (a) => a?.status === 'active', 'invitation accepted');
    await scim.patch(`/Users/${id}`, okta.setActive(false)).expect(200);
    expect(await targetAccount(tb, 'paradime', 'pd@example.com')).toBeNull();
    // Paradime cannot re-enable a disabled user through its API: the reactivation is refused.
    const refused = await scim.patch(`/Users/${id}`, okta.setActive(true)).expect(400);
    expect((refused.body as { detail: string }).detail).toMatch(/re-enable/);
    const after = await scim.get(`/Users/${id}`).expect(200);
    expect((after.body as { active: boolean }).active).toBe(false);
  });

  it('refuses a write whose plan is unsupported before any step: not half-applied', async () => {
    tb = await startTestBridge({ store: kind, types: ['paradime'], mode: 'strict', runWorkers: false, simulator: { autoAcceptSeconds: 0.1 } });
    const scim = tb.scim('paradime');
    const who = person('half');
    const id = ((await scim.post('/Users', okta.createUser(who)).expect(201)).body as { id: string }).id;
    await waitForAccount(tb, 'paradime', 'half@example.com', (a) => a?.status === 'active', 'invitation accepted');
    const sim = tb.sims.get('paradime')!;
    await simControl(sim, '/requests', undefined, 'DELETE');
    // A new email (Paradime cannot change it) together with a role the target could change.
    const body = { ...okta.putUser(id, who), emails: [{ primary: true, value: 'half.new@example.com', type: 'work' }], ...paradimeAdmin };
    const refused = await scim.put(`/Users/${id}`, body).expect(400);
    expect((refused.body as { detail: string }).detail).toMatch(/email/);
    expect((await simRequests(sim)).filter(isTargetWrite)).toEqual([]);
    expect(hasRoleOf(await targetAccount(tb, 'paradime', 'half@example.com'), 'DEVELOPER')).toBe(true);
    const after = (await scim.get(`/Users/${id}`).expect(200)).body as { emails: { value: string }[] };
    expect(after.emails.map((e) => e.value)).toEqual(['half@example.com']);
  });

  it('never runs beside a worker job of the same user: answers 503 while another replica holds its lease', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], mode: 'strict', runWorkers: false, engine: { strictLeaseWaitMs: 300 } });
    const scim = tb.scim('redis-enterprise');
    const who = person('leased');
    const id = ((await scim.post('/Users', okta.createUser(who)).expect(201)).body as { id: string }).id;
    // Another replica's worker is converging this user right now.
    const [job] = await tb.store.claimJobs('redis-enterprise', { limit: 10, workerId: 'other-replica', leaseMs: 60_000 });
    expect(job?.userId).toBe(id);
    const sim = tb.sims.get('redis-enterprise')!;
    await simControl(sim, '/requests', undefined, 'DELETE');
    const busy = await scim.put(`/Users/${id}`, okta.putUser(id, who, { givenName: 'Renamed' })).expect(503);
    expect(busy.headers['retry-after']).toMatch(/^\d+$/);
    expect((await simRequests(sim)).filter(isTargetWrite)).toEqual([]);
    expect(((await scim.get(`/Users/${id}`).expect(200)).body as { name: { givenName: string } }).name.givenName).toBe('leased');
    // Once that job is done, the same write goes through.
    await tb.store.completeJob(job!);
    await scim.put(`/Users/${id}`, okta.putUser(id, who, { givenName: 'Renamed' })).expect(200);
    expect((await targetAccount(tb, 'redis-enterprise', 'leased@example.com'))?.name).toBe('Renamed Test');
  });
});
