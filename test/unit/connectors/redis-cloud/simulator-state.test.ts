import { describe, expect, it } from 'vitest';
import { acceptSimInvitation, addSimUser, createSimAccountState, findSimUserByEmail, runDelete, runInvite, seedSimUsers } from '../../../../src/connectors/redis-cloud/simulator-state.js';

/** The email lookup behind invitations and their acceptance, after deletes and duplicates. */

describe('redis-cloud simulator state: lookup by email', () => {
  it('finds a user in any case, and forgets it once deleted', () => {
    const state = createSimAccountState();
    const user = addSimUser(state, { name: 'Ada', email: 'Ada@Example.com', role: 'Viewer', isVerified: true });
    expect(findSimUserByEmail(state, 'ada@EXAMPLE.com')?.id).toBe(user.id);
    expect(runDelete(state, user.id)).toEqual({ resourceId: user.id });
    expect(findSimUserByEmail(state, 'ada@example.com')).toBeUndefined();
    expect(runInvite(state, { name: 'Ada', email: 'ada@example.com', role: 'Viewer' })).toHaveProperty('resourceId');
  });

  it('with two users holding an email, accepts both, finds the first, then the second once the first is gone', () => {
    const state = createSimAccountState();
    const first = runInvite(state, { name: 'One', email: 'twice@example.com', role: 'Viewer' }, true);
    const second = runInvite(state, { name: 'Two', email: 'TWICE@example.com', role: 'Viewer' }, true);
    expect(acceptSimInvitation(state, 'twice@example.com').id).toBe((first as { resourceId: number }).resourceId);
    expect([...state.users.values()].filter((u) => u.signUp !== '')).toHaveLength(3);
    runDelete(state, (first as { resourceId: number }).resourceId);
    expect(findSimUserByEmail(state, 'twice@example.com')?.id).toBe((second as { resourceId: number }).resourceId);
  });

  it('refuses a seed whose email is taken, in any case', () => {
    const state = createSimAccountState();
    seedSimUsers(state, { users: [{ email: 'seeded@example.com' }] });
    expect(() => seedSimUsers(state, { users: [{ email: 'SEEDED@example.com' }] })).toThrow(/exists/);
  });
});
