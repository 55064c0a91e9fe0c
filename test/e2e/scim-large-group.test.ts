import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { expectList } from './scim-assert.js';

/**
 * A 10,000-member Group push in one PATCH (Entra's gallery checklist asks for many memberships
 * per PATCH; docs/entra.md, Groups) fits the default body limit and reads back whole. Correctness only: the
 * benchmarks measure time. The worker is off: converging 10,000 accounts is not this test's point.
 */

const SIZE = 10_000;

describe.each(['sqlite', 'postgres'] as const)('a 10,000-member group on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  const userIds: string[] = [];
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false });
    scim = tb.scim('redis-enterprise');
    const ctx = { requestId: 'seed' };
    for (let i = 0; i < SIZE; i += 50) {
      const batch = Array.from({ length: Math.min(50, SIZE - i) }, (_, j) => {
        const userName = `member${i + j}@example.com`;
        return tb.store.createUser('redis-enterprise', { userName, externalId: null, active: true, emails: [], attributes: { schemas: [okta.USER_SCHEMA], userName } }, ctx);
      });
      userIds.push(...(await Promise.all(batch)).map((u) => u.id));
    }
  }, 120_000);
  afterAll(() => tb.close());

  it('one PATCH adds 10,000 members (204) and GET /Groups/{id} returns every one', async () => {
    const group = await scim.post('/Groups', okta.createGroup('Everyone')).expect(201);
    const id = group.body.id as string;
    const body = okta.changeMembers([], userIds.map((value, i) => ({ value, display: `member${i}@example.com` })));
    expect(JSON.stringify(body).length).toBeGreaterThan(500_000);
    await scim.patch(`/Groups/${id}`, body).expect(204);

    const read = await scim.get(`/Groups/${id}`).expect(200);
    const members = read.body.members as { value: string; display: string }[];
    expect(members).toHaveLength(SIZE);
    expect(new Set(members.map((m) => m.value))).toEqual(new Set(userIds));
    expect(members.find((m) => m.value === userIds[1234])?.display).toBe('member1234@example.com');

    // The same push again (Okta re-sends) changes nothing: the same members, not one member's
    // convergence job queued again (each job keeps its generation and request ids), the group not
    // rewritten (same version and lastModified).
    const jobsBefore = await tb.store.listJobs('redis-enterprise', { limit: SIZE + 10 });
    expect(jobsBefore).toHaveLength(SIZE);
    await scim.patch(`/Groups/${id}`, body).set('X-Request-Id', 'same-push-again').expect(204);
    const again = (await scim.get(`/Groups/${id}`).expect(200)).body as { members: { value: string }[]; meta: unknown };
    expect(again.meta).toEqual(read.body.meta);
    expect(again.members).toHaveLength(SIZE);
    expect(new Set(again.members.map((m) => m.value))).toEqual(new Set(userIds));
    expect(await tb.store.listJobs('redis-enterprise', { limit: SIZE + 10 })).toEqual(jobsBefore);
    // A full replace with half keeps half.
    await scim.patch(`/Groups/${id}`, okta.replaceMembers(userIds.slice(0, SIZE / 2).map((value) => ({ value })))).expect(204);
    const half = (await scim.get(`/Groups/${id}`).expect(200)).body.members as { value: string }[];
    expect(new Set(half.map((m) => m.value))).toEqual(new Set(userIds.slice(0, SIZE / 2)));
    const listed = expectList(await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Everyone"')}&excludedAttributes=members`));
    expect(listed.Resources[0]).not.toHaveProperty('members');
    const user = await scim.get(`/Users/${userIds[0]}`).expect(200);
    expect(user.body.groups).toEqual([expect.objectContaining({ value: id, display: 'Everyone' })]);
  }, 120_000);
});
