import fc from 'fast-check';
import type { Response } from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { DirectoryWatch, RUNS, expectSane, groupBody, patchBody, seedDirectory, userBody } from './fuzz-kit.js';

/**
 * Property-based fuzzing of SCIM bodies and PATCH operations on Users and Groups: never a 5xx,
 * never a crash, always an RFC 7644 error body on 4xx, and a rejected request leaves the
 * directory exactly as it was (issue 5, docs/architecture.md, promise 7). Filters, ids and headers:
 * fuzz-http.test.ts.
 */

describe.each(['sqlite', 'postgres'] as const)('fuzzing SCIM bodies on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  let watch: DirectoryWatch;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'] });
    ({ scim, userId, groupId } = await seedDirectory(tb));
    watch = new DirectoryWatch(tb);
  });
  beforeEach(() => watch.refresh());
  afterAll(() => tb.close());

  const run = <T>(arbitrary: fc.Arbitrary<T>, send: (value: T) => Promise<Response>): Promise<void> =>
    fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        const res = await send(value);
        expectSane(res, value);
        await watch.after(res, value);
      }),
      { numRuns: RUNS },
    );

  it('POST /Users with any body', () => run(userBody, (body) => scim.post('/Users', body)));
  it('PUT /Users/{id} with any body', () => run(userBody, (body) => scim.put(`/Users/${userId}`, body)));
  it('POST /Groups with any body', () => run(groupBody, (body) => scim.post('/Groups', body)));
  it('PUT /Groups/{id} with any body', () => run(groupBody, (body) => scim.put(`/Groups/${groupId}`, body)));
  it('PATCH /Users/{id} with any operations', () => run(patchBody, (body) => scim.patch(`/Users/${userId}`, body)));
  it('PATCH /Groups/{id} with any operations', () => run(patchBody, (body) => scim.patch(`/Groups/${groupId}`, body)));

  it('the bridge still answers after all of it', async () => {
    expect(Number.isInteger((await scim.get('/Users?count=0').expect(200)).body.totalResults)).toBe(true);
    await scim.get(`/Users/${userId}`).expect(200);
    await scim.get(`/Groups/${groupId}`).expect(200);
  });
});
