import { describe, expect, it } from 'vitest';
import { paradimeErrorCodes } from '../../../../src/connectors/paradime/errors.js';
import { createParadimeSimState } from '../../../../src/connectors/paradime/simulator-state.js';

/** The email lookup behind invitations and the UI's enable, after accepts, seeds and resets. */

const start = (allowsDuplicateEmails = false) => createParadimeSimState({ workspace: { name: 'W', uid: 'w' }, allowsDuplicateEmails: () => allowsDuplicateEmails });
const codeOf = (call: () => unknown): unknown => {
  try {
    call();
    return undefined;
  } catch (err) {
    return (err as { extensions?: { code?: unknown } }).extensions?.code ?? (err as Error).message;
  }
};
const uidOf = (state: ReturnType<typeof start>, email: string, nth = 0): string => {
  const matching = state.listUsers().activeUsers.filter((u) => u.email.toLowerCase() === email.toLowerCase());
  return matching[nth]?.uid ?? '';
};

describe('paradime simulator state: lookup by email', () => {
  it('finds a user who accepted an invitation, in any case', () => {
    const state = start();
    state.inviteUser('ada@example.com', 'DEVELOPER');
    state.accept('ada@example.com');
    expect(codeOf(() => state.inviteUser('ADA@example.com', 'DEVELOPER'))).toBe(paradimeErrorCodes.alreadyExists);
  });

  it('with two users holding an email, looks at the first', () => {
    const state = start(true);
    for (let i = 0; i < 2; i++) {
      state.inviteUser('twice@example.com', 'DEVELOPER');
      state.accept('twice@example.com');
    }
    state.disableUser(uidOf(state, 'twice@example.com', 1));
    // The UI's enable finds the first user, who is not disabled.
    expect(codeOf(() => state.enable('twice@example.com'))).toBe('no disabled user twice@example.com');
    state.disableUser(uidOf(state, 'twice@example.com', 0));
    expect(codeOf(() => state.inviteUser('twice@example.com', 'DEVELOPER'))).toBe(paradimeErrorCodes.disabled);
  });

  it('forgets the email of a seeded user a second one with its uid replaces', () => {
    const state = start();
    const uid = 'a'.repeat(64);
    state.seed({ users: [{ email: 'first@example.com', uid }, { email: 'second@example.com', uid }] });
    expect(codeOf(() => state.inviteUser('first@example.com', 'DEVELOPER'))).toBeUndefined();
    expect(codeOf(() => state.inviteUser('second@example.com', 'DEVELOPER'))).toBe(paradimeErrorCodes.alreadyExists);
  });

  it('forgets every user but the admin on reset', () => {
    const state = start();
    state.seed({ users: [{ email: 'gone@example.com' }] });
    state.reset();
    expect(codeOf(() => state.inviteUser('gone@example.com', 'DEVELOPER'))).toBeUndefined();
    expect(codeOf(() => state.inviteUser('ADMIN@sandbox.local', 'DEVELOPER'))).toBe(paradimeErrorCodes.alreadyExists);
  });
});
