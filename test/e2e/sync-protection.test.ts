import { afterEach, describe, expect, it } from 'vitest';
import type { SimRequestRecord } from '../../src/connectors/simulator-kit.js';
import type { ConnectorType } from '../../src/connectors/types.js';
import { isTargetWrite, simControl, simRequests } from '../contract/connector-contract.js';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person } from './sync-helpers.js';

/**
 * Protected accounts (docs/architecture.md, promise 5) are never written, also when the bridge only
 * learns whose account it is by adopting it: a new SCIM user whose email is the target's owner,
 * the API key's own user or the last admin gets no write after the create the target refused.
 */

/** The account each simulator protects, and what becomes of a SCIM user claiming it. */
const cases: { type: ConnectorType; email: string; status: string; code?: string }[] = [
  { type: 'redis-cloud', email: 'owner@sandbox.local', status: 'failed', code: 'PROTECTED_ACCOUNT' },
  { type: 'redis-enterprise', email: 'admin@sandbox.local', status: 'failed', code: 'PROTECTED_ACCOUNT' },
  // The owner already has Yardstik's one role: nothing to change, so nothing to refuse yet.
  { type: 'yardstik', email: 'owner@sandbox.local', status: 'synced' },
  // The last ADMIN is held for approval, never demoted on the bridge's own initiative.
  { type: 'paradime', email: 'admin@sandbox.local', status: 'held', code: 'HELD' },
];

/** A create attempt (the target refuses it: the email is taken). */
const isCreate = (r: SimRequestRecord): boolean => r.operation === 'mutation inviteUser' || (r.method === 'POST' && /\/users$/.test(r.path.split('?')[0] ?? ''));

async function writesBesidesCreate(tb: TestBridge, type: ConnectorType): Promise<SimRequestRecord[]> {
  return (await simRequests(tb.sims.get(type)!)).filter((r) => isTargetWrite(r) && !isCreate(r));
}

describe.each(['sqlite', 'postgres'] as const)('protected accounts on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('a new SCIM user with a protected account\'s email gets no write in any target, nor when deactivated', async () => {
    tb = await startTestBridge({ store: kind, types: cases.map((c) => c.type), runWorkers: false });
    const ids = new Map<ConnectorType, string>();
    for (const { type, email } of cases) {
      await simControl(tb.sims.get(type)!, '/requests', undefined, 'DELETE');
      ids.set(type, await createScimUser(tb, type, { ...okta.createUser(person('claimant')), userName: email, emails: [{ primary: true, value: email, type: 'work' }] }));
    }
    await tb.bridge.engine.drain();
    for (const { type, status, code } of cases) {
      const [state] = await tb.store.getSyncStates(type, [ids.get(type)!]);
      expect({ type, status: state?.status, code: state?.lastError?.code }).toEqual({ type, status, code });
      expect({ type, writes: await writesBesidesCreate(tb, type) }).toEqual({ type, writes: [] });
      expect(state?.isManaged).toBe(false);
    }
    for (const { type } of cases) await tb.scim(type).patch(`/Users/${ids.get(type)!}`, okta.setActive(false)).expect(200);
    await tb.bridge.engine.drain();
    for (const { type } of cases) {
      expect({ type, writes: await writesBesidesCreate(tb, type) }).toEqual({ type, writes: [] });
      const [state] = await tb.store.getSyncStates(type, [ids.get(type)!]);
      expect(['failed', 'held']).toContain(state?.status);
    }
  });

  it('strict mode refuses a write to a protected account before any step', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-cloud'], mode: 'strict', runWorkers: false });
    await simControl(tb.sims.get('redis-cloud')!, '/requests', undefined, 'DELETE');
    const body = { ...okta.createUser(person('claimant')), userName: 'owner@sandbox.local', emails: [{ primary: true, value: 'owner@sandbox.local', type: 'work' }] };
    const refused = await tb.scim('redis-cloud').post('/Users', body).expect(403);
    expect((refused.body as { detail: string }).detail).toMatch(/protected/i);
    expect(await writesBesidesCreate(tb, 'redis-cloud')).toEqual([]);
    expect((await tb.scim('redis-cloud').get(okta.probe('owner@sandbox.local')).expect(200)).body).toMatchObject({ totalResults: 0 });
  });
});
