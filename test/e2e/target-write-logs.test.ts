import { afterEach, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import * as okta from '../fixtures/okta/requests.js';
import { eventually, logLines, startTestBridge, type LogLine, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person, waitForAccount, waitForSync } from './sync-helpers.js';

/**
 * Every target write is one `info` line naming the connection, the SCIM user (id and userName),
 * the operation, the role before and after, the result and the SCIM request that caused it, for
 * every connector alike (the framework writes it). A permanent failure needs a person: `warn`,
 * once. Refused SCIM credentials are not `info`: one `warn` per connection and window, the rest
 * `debug`.
 */

const linesOf = (tb: TestBridge): LogLine[] => logLines(tb.logs);
const writesOf = (tb: TestBridge, userId: string): LogLine[] => linesOf(tb).filter((l) => l.message === 'target write' && l.userId === userId);

describe.each(['sqlite', 'postgres'] as const)('target write logs on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  it('create, role change, deactivation and delete: one info line each, with the request id', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    const scim = tb.scim('redis-enterprise');
    const p = person('written');
    const created = await scim.post('/Users', okta.createUser(p)).set('X-Request-Id', 'req-create-1').expect(201);
    const id = (created.body as { id: string }).id;
    await waitForSync(tb, 'redis-enterprise', id, (s) => s.state === 'synced', 'created');
    const group = (await scim.post('/Groups', okta.createGroup('Redis Admins')).expect(201)).body as { id: string };
    await scim.patch(`/Groups/${group.id}`, okta.changeMembers([], [{ value: id, display: p.userName }])).set('X-Request-Id', 'req-admin-1').expect(204);
    await eventually(async () => writesOf(tb!, id).length === 2, { what: 'the role change line' });
    await scim.patch(`/Users/${id}`, okta.setActive(false)).set('X-Request-Id', 'req-off-1').expect(200);
    await eventually(async () => writesOf(tb!, id).length === 3, { what: 'the deactivation line' });
    await scim.delete(`/Users/${id}`).set('X-Request-Id', 'req-delete-1').expect(204);
    await waitForAccount(tb, 'redis-enterprise', p.userName, (a) => a === null, 'deleted');
    await eventually(async () => writesOf(tb!, id).length === 4, { what: 'the delete line' });

    const common = { level: 'info', connection: 'redis-enterprise', userId: id, userName: p.userName, result: 'ok' };
    expect(writesOf(tb, id)).toEqual([
      expect.objectContaining({ ...common, operation: 'create', roleBefore: null, roleAfter: 'db_viewer', requestId: 'req-create-1', accountId: expect.any(String) }),
      expect.objectContaining({ ...common, operation: 'role-change', roleBefore: 'db_viewer', roleAfter: 'admin', requestId: 'req-admin-1' }),
      // Redis Enterprise deactivates by the no-access role (mappings/redis-enterprise.yaml).
      expect.objectContaining({ ...common, operation: 'role-change', roleBefore: 'admin', roleAfter: 'none', requestId: 'req-off-1' }),
      expect.objectContaining({ ...common, operation: 'delete', roleBefore: 'none', roleAfter: null, requestId: 'req-delete-1', accountStatus: 'absent' }),
    ]);
  });

  it('an account that existed is adopted: one line for the adoption, one for the role it is given', async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false });
    const connector = tb.bridge.engine.connection('redis-enterprise')!.connector;
    await connector.createAccount({ email: 'adopted@example.com', name: 'Adopted', role: 'db_member' });
    const id = await createScimUser(tb, 'redis-enterprise', okta.createUser(person('adopted')));
    tb.bridge.engine.start();
    await waitForSync(tb, 'redis-enterprise', id, (s) => s.state === 'synced', 'adopted');
    expect(writesOf(tb, id)).toEqual([
      expect.objectContaining({ level: 'info', operation: 'adopt', roleBefore: 'db_member', roleAfter: 'db_member', result: 'ok', requestId: expect.any(String) }),
      expect.objectContaining({ level: 'info', operation: 'role-change', roleBefore: 'db_member', roleAfter: 'db_viewer', result: 'ok' }),
    ]);
  });

  it('a permanent target failure (TARGET_AUTH) is one warn line, not info, and not told twice', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'], targets: { yardstik: { apiKey: 'a-wrong-api-key' } } });
    const response = await tb.scim('yardstik').post('/Users', okta.createUser(person('refused'))).set('X-Request-Id', 'req-refused-1').expect(201);
    const id = (response.body as { id: string }).id;
    await waitForSync(tb, 'yardstik', id, (s) => s.state === 'failed', 'failed');
    const lines = linesOf(tb).filter((l) => l.userId === id && l.level !== 'debug');
    expect(lines).toEqual([
      expect.objectContaining({ message: 'target write', level: 'warn', connection: 'yardstik', userName: 'refused@example.com', operation: 'create', result: 'failed', code: 'TARGET_AUTH', requestId: 'req-refused-1' }),
    ]);
  });

  it('refused SCIM tokens: one warn per connection and window, never info', async () => {
    tb = await startTestBridge({ store: kind, types: ['yardstik'] });
    const http = supertest(tb.bridge.url);
    for (let i = 0; i < 3; i++) await http.get('/scim/v2/yardstik/Users').set('Authorization', 'Bearer not-the-token-0000').expect(401);
    const auth = linesOf(tb).filter((l) => l.message === 'authentication failed');
    expect(auth.map((l) => l.level)).toEqual(['warn', 'debug', 'debug']);
    expect(auth[0]).toMatchObject({ connection: 'yardstik', client: expect.any(String) });
    const refused = linesOf(tb).filter((l) => (l.message === 'request' && l.status === 401) || (l.message === 'request rejected' && l.code === 'UNAUTHORIZED'));
    expect(refused.length).toBe(6);
    expect(refused.every((l) => l.level === 'debug')).toBe(true);
    expect(JSON.stringify(auth)).not.toContain('not-the-token');
  });
});
