import { afterEach, describe, expect, it } from 'vitest';
import { injectFault, simControl } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { hasRoleOf, SYNC, targetAccount, waitForAccount, person } from './sync-helpers.js';

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
});
