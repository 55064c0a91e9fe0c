import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { PATCH_OP } from '../fixtures/entra/requests.js';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { expectError, listAllIds, type Resource } from './scim-assert.js';

/**
 * scimmy keeps global state (declared resources, base paths): prove that simultaneous requests
 * to two connections each get their own data and their own meta.location, and that a token of
 * one connection is refused by the other (issue 2, §3).
 */

const connections = ['redis-enterprise', 'yardstik'] as const;
type Connection = (typeof connections)[number];
const tokens: Record<Connection, string> = { 'redis-enterprise': 'isolation-token-re-0001', yardstik: 'isolation-token-ys-0001' };
const PER_CONNECTION = 40;

describe.each(['sqlite', 'postgres'] as const)('connection isolation on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  const clients = {} as Record<Connection, ScimClient>;
  const created: Record<Connection, Resource[]> = { 'redis-enterprise': [], yardstik: [] };
  const location = (c: Connection, kindOf: 'Users' | 'Groups', id: string): string => `${tb.bridge.url}/scim/v2/${c}/${kindOf}/${id}`;

  beforeAll(async () => {
    tb = await startTestBridge({
      store: kind,
      types: [...connections],
      scimAuth: { 'redis-enterprise': { tokens: [tokens['redis-enterprise']] }, yardstik: { tokens: [tokens.yardstik] } },
    });
    for (const c of connections) clients[c] = tb.scim(c);
  });
  afterAll(() => tb.close());

  const person = (i: number): okta.OktaPerson => ({ userName: `shared${i}@example.com`, givenName: 'Same', familyName: `Name${i}`, oktaId: `00ushared${i}` });

  it('interleaved creates on both connections: the same userNames, each with its own id, data and location', async () => {
    const requests = Array.from({ length: PER_CONNECTION * 2 }, (_, i) => {
      const c = connections[i % 2] as Connection;
      const n = Math.floor(i / 2);
      return clients[c].post('/Users', { ...okta.createUser(person(n)), title: c }).then((res) => ({ c, res }));
    });
    for (const { c, res } of await Promise.all(requests)) {
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const user = res.body as Resource;
      expect(user.meta.location).toBe(location(c, 'Users', user.id));
      expect(res.headers.location).toBe(location(c, 'Users', user.id));
      expect(user.title).toBe(c);
      created[c].push(user);
    }
    const allIds = [...created['redis-enterprise'], ...created.yardstik].map((u) => u.id);
    expect(new Set(allIds).size).toBe(PER_CONNECTION * 2);
  });

  it('200 interleaved reads, patches, lists and group writes each answer from their own connection', async () => {
    const work = Array.from({ length: 200 }, (_, i) => {
      const c = connections[i % 2] as Connection;
      const other = connections[(i + 1) % 2] as Connection;
      const user = created[c][i % PER_CONNECTION] as Resource;
      const scim = clients[c];
      switch (i % 5) {
        case 0:
          return scim.get(`/Users/${user.id}`).then((res) => {
            expect(res.status).toBe(200);
            expect(res.body).toMatchObject({ id: user.id, title: c, meta: { location: location(c, 'Users', user.id) } });
          });
        case 1:
          return scim.patch(`/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'nickName', value: `${c}-${i}` }] }).then((res) => {
            expect(res.status).toBe(200);
            expect(res.body).toMatchObject({ id: user.id, nickName: `${c}-${i}`, meta: { location: location(c, 'Users', user.id) } });
          });
        case 2:
          return scim.get(okta.probe(String(user.userName))).then((res) => {
            expect(res.body.totalResults).toBe(1);
            expect(res.body.Resources[0]).toMatchObject({ id: user.id, title: c, meta: { location: location(c, 'Users', user.id) } });
          });
        case 3:
          // The other connection's id is unknown here.
          return clients[other].get(`/Users/${user.id}`).then((res) => expectError(res, 404));
        default:
          return scim.post('/Groups', { displayName: `group-${i}`, members: [{ value: user.id }] }).then((res) => {
            expect(res.status, JSON.stringify(res.body)).toBe(201);
            expect(res.body.meta.location).toBe(location(c, 'Groups', res.body.id as string));
            expect(res.body.members[0]).toMatchObject({ value: user.id, $ref: location(c, 'Users', user.id) });
          });
      }
    });
    await Promise.all(work);
  });

  it('each listing holds exactly its own users and groups; a member of the other connection is refused', async () => {
    for (const c of connections) {
      const ids = await listAllIds((p) => clients[c].get(p), '/Users', 25);
      expect(new Set(ids)).toEqual(new Set(created[c].map((u) => u.id)));
      const groups = (await clients[c].get('/Groups?count=1000').expect(200)).body.Resources as Resource[];
      expect(groups).toHaveLength(20);
      for (const g of groups) expect(g.meta.location).toBe(location(c, 'Groups', g.id));
    }
    const foreign = created.yardstik[0] as Resource;
    expectError(await clients['redis-enterprise'].post('/Groups', { displayName: 'foreign', members: [{ value: foreign.id }] }), 400, 'invalidValue');
  });

  it("a token of one connection gets 401 on the other, with either connection's ids", async () => {
    const http = supertest(tb.bridge.url);
    for (const c of connections) {
      const other = connections.find((o) => o !== c) as Connection;
      const own = created[c][0] as Resource;
      for (const path of ['/Users', `/Users/${own.id}`, '/Groups', '/Schemas']) {
        const res = await http.get(`/scim/v2/${other}${path}`).set('Authorization', `Bearer ${tokens[c]}`);
        expectError(res, 401);
      }
    }
  });
});
