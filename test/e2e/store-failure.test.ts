import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type supertest from 'supertest';
import type { Store } from '../../src/directory/store.js';
import { BridgeError } from '../../src/errors.js';
import * as okta from '../fixtures/okta/requests.js';
import { openTestStore, startTestBridge, type ScimClient, type StoreKind, type TestBridge, type TestStore } from '../helpers/bridge.js';
import { ERROR_SCHEMA } from './scim-assert.js';
import { failOutboxWrites, snapshot } from './store-faults.js';

/**
 * A store failure answers 5xx, never 404 (an IdP that reads 404 creates a duplicate): 503 with
 * Retry-After when the database is unavailable, 500 for anything unknown, always an RFC 7644 body;
 * and a write that fails half-way leaves nothing behind (docs/architecture.md, promises 1 and 7).
 */

type Mode = 'transient' | 'unknown';

/** The real store, with every call failing while `failing` is set. */
function flaky(store: Store): { store: Store; fail(mode: Mode): void; heal(): void } {
  let failing: Mode | null = null;
  const spared = new Set<PropertyKey>(['close', 'migrate', 'dialect']);
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || spared.has(prop)) return value;
      return (...args: unknown[]): unknown => {
        if (failing === 'transient') return Promise.reject(new BridgeError('STORE_UNAVAILABLE', 'the directory database is unavailable (ECONNREFUSED)'));
        if (failing === 'unknown') return Promise.reject(new Error('relation "users" does not exist'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, fail: (mode) => void (failing = mode), heal: () => void (failing = null) };
}

describe.each(['sqlite', 'postgres'] as const)('store failures on %s', (kind: StoreKind) => {
  let real: TestStore;
  let faults: ReturnType<typeof flaky>;
  let tb: TestBridge;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;
  let n = 0;

  beforeAll(async () => {
    real = await openTestStore(kind);
    faults = flaky(real);
    tb = await startTestBridge({ store: faults.store, types: ['redis-enterprise'] });
    scim = tb.scim('redis-enterprise');
    userId = (await scim.post('/Users', okta.createUser(person())).expect(201)).body.id as string;
    groupId = (await scim.post('/Groups', { displayName: 'steady', members: [{ value: userId }] }).expect(201)).body.id as string;
  });
  afterEach(() => faults.heal());
  afterAll(async () => {
    await tb.close();
    await real.close();
  });

  function person(): okta.OktaPerson {
    n++;
    return { userName: `store${n}@example.com`, givenName: 'S', familyName: String(n), oktaId: `00ustore${n}` };
  }

  const requests: [string, () => supertest.Test][] = [
    ['GET /Users', () => scim.get('/Users')],
    ['GET /Users?filter', () => scim.get(okta.probe('store1@example.com'))],
    ['GET /Users/{id}', () => scim.get(`/Users/${userId}`)],
    ['POST /Users', () => scim.post('/Users', okta.createUser(person()))],
    ['PUT /Users/{id}', () => scim.put(`/Users/${userId}`, okta.putUser(userId, { userName: 'store1@example.com', givenName: 'Put', familyName: 'Again', oktaId: '00ustore1' }))],
    ['PATCH /Users/{id}', () => scim.patch(`/Users/${userId}`, okta.setActive(false))],
    ['DELETE /Users/{id}', () => scim.delete(`/Users/${userId}`)],
    ['GET /Groups', () => scim.get('/Groups')],
    ['GET /Groups/{id}', () => scim.get(`/Groups/${groupId}`)],
    ['POST /Groups', () => scim.post('/Groups', okta.createGroup(`new group ${++n}`))],
    ['PUT /Groups/{id}', () => scim.put(`/Groups/${groupId}`, { displayName: 'renamed', members: [] })],
    ['PATCH /Groups/{id}', () => scim.patch(`/Groups/${groupId}`, okta.replaceMembers([]))],
    ['DELETE /Groups/{id}', () => scim.delete(`/Groups/${groupId}`)],
  ];

  describe.each([
    ['transient', 503],
    ['unknown', 500],
  ] as const)('a %s store error', (mode, status) => {
    it.each(requests)(`%s answers ${status} with an RFC 7644 body, and nothing changes`, async (_label, send) => {
      const before = await snapshot(scim);
      faults.fail(mode);
      const res = await send();
      faults.heal();
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
      expect(typeof res.body.detail).toBe('string');
      if (status === 503) expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // The database's own words stay in the logs.
      else expect(res.body.detail).not.toContain('relation');
      expect(await snapshot(scim)).toEqual(before);
    });
  });

  it('after recovery the IdP retry of every write succeeds', async () => {
    for (const [label, send] of requests) {
      faults.fail('transient');
      expect((await send()).status, label).toBe(503);
      faults.heal();
      expect((await send()).status, label).toBeLessThan(300);
      if (label.startsWith('DELETE /Users')) userId = (await scim.post('/Users', okta.createUser(person())).expect(201)).body.id as string;
      if (label.startsWith('DELETE /Groups')) groupId = (await scim.post('/Groups', okta.createGroup(`again ${++n}`)).expect(201)).body.id as string;
    }
  });

  describe('a failure inside the transaction (the outbox insert) leaves nothing half-written', () => {
    it.each([
      ['POST /Users', () => scim.post('/Users', okta.createUser(person()))],
      ['PUT /Users/{id}', () => scim.put(`/Users/${userId}`, okta.putUser(userId, { userName: 'half@example.com', givenName: 'H', familyName: 'W', oktaId: '00uhalf' }))],
      ['PATCH /Users/{id}', () => scim.patch(`/Users/${userId}`, okta.setActive(false))],
      ['DELETE /Users/{id}', () => scim.delete(`/Users/${userId}`)],
      ['POST /Groups with members', () => scim.post('/Groups', { displayName: `half ${++n}`, members: [{ value: userId }] })],
      ['PATCH /Groups/{id} members', () => scim.patch(`/Groups/${groupId}`, okta.replaceMembers([]))],
      ['PATCH /Groups/{id} rename', () => scim.patch(`/Groups/${groupId}`, okta.renameGroup(groupId, 'half renamed'))],
      ['DELETE /Groups/{id}', () => scim.delete(`/Groups/${groupId}`)],
    ])('%s: 503, and the directory is as before', async (_label, send) => {
      await scim.patch(`/Groups/${groupId}`, okta.replaceMembers([{ value: userId }])).expect(204);
      const before = await snapshot(scim);
      const restore = failOutboxWrites(kind);
      let res: supertest.Response;
      try {
        res = await send();
      } finally {
        restore();
      }
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '503' });
      expect(await snapshot(scim)).toEqual(before);
    });
  });
});
