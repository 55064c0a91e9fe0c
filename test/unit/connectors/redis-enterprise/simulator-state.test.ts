import { describe, expect, it } from 'vitest';
import { RedisEnterpriseSimState } from '../../../../src/connectors/redis-enterprise/simulator-state.js';

/** The email and name lookups behind sign-in and the create checks, after writes that move or drop a user. */

const start = (allowsDuplicateEmails = false): RedisEnterpriseSimState =>
  new RedisEnterpriseSimState({ username: 'admin@sandbox.local', password: 'sandbox', passwordComplexity: false, passwordMinLength: 8, allowsDuplicateEmails: () => allowsDuplicateEmails });
const create = (state: RedisEnterpriseSimState, email: string, password: string, name = ''): number =>
  state.createUser({ email, password, name, role: 'db_viewer' }, false).uid;
const signsIn = (state: RedisEnterpriseSimState, email: string, password: string): number | undefined => state.authenticate(email, password)?.uid;
const conflictOf = (write: () => unknown): string | undefined => {
  try {
    write();
    return undefined;
  } catch (err) {
    return (err as { errorCode?: string }).errorCode;
  }
};

describe('redis-enterprise simulator state: lookups by email and name', () => {
  it('finds a user by its new email, in any case, and frees the old one', () => {
    const state = start();
    const uid = create(state, 'old@example.com', 'first-pass');
    state.updateUser(uid, { email: 'New@Example.com' }, false);
    expect(signsIn(state, 'old@example.com', 'first-pass')).toBeUndefined();
    expect(signsIn(state, 'new@EXAMPLE.com', 'first-pass')).toBe(uid);
    expect(conflictOf(() => create(state, 'NEW@example.com', 'other-pass'))).toBe('email_already_exists');
    expect(conflictOf(() => create(state, 'OLD@example.com', 'other-pass'))).toBeUndefined();
  });

  it('keeps a dry-run email change out of the lookups', () => {
    const state = start();
    const uid = create(state, 'kept@example.com', 'first-pass');
    state.updateUser(uid, { email: 'dry@example.com' }, true);
    expect(signsIn(state, 'kept@example.com', 'first-pass')).toBe(uid);
    expect(signsIn(state, 'dry@example.com', 'first-pass')).toBeUndefined();
  });

  it('with duplicates allowed, signs in the first user holding the email until it is deleted', () => {
    const state = start(true);
    const first = create(state, 'twice@example.com', 'first-pass');
    const second = create(state, 'TWICE@example.com', 'second-pass');
    expect(signsIn(state, 'twice@example.com', 'first-pass')).toBe(first);
    expect(signsIn(state, 'twice@example.com', 'second-pass')).toBeUndefined();
    // The second cannot take its own email in another case: the first holds it.
    expect(conflictOf(() => state.updateUser(second, { email: 'Twice@example.com' }, false))).toBe('email_already_exists');
    state.deleteUser(first, 1);
    expect(signsIn(state, 'twice@example.com', 'second-pass')).toBe(second);
    expect(signsIn(state, 'twice@example.com', 'first-pass')).toBeUndefined();
  });

  it('with duplicates allowed, a change of case keeps the first user first', () => {
    const state = start(true);
    const first = create(state, 'twice@example.com', 'first-pass');
    create(state, 'twice@example.com', 'second-pass');
    state.updateUser(first, { email: 'Twice@Example.com' }, false);
    expect(signsIn(state, 'twice@example.com', 'first-pass')).toBe(first);
    expect(signsIn(state, 'twice@example.com', 'second-pass')).toBeUndefined();
  });

  it('frees a name on rename and on delete, and takes the new one', () => {
    const state = start();
    const uid = create(state, 'a@example.com', 'pass-word', 'Ada');
    state.updateUser(uid, { name: 'Grace' }, false);
    expect(conflictOf(() => create(state, 'b@example.com', 'pass-word', 'ADA'))).toBeUndefined();
    expect(conflictOf(() => create(state, 'c@example.com', 'pass-word', 'grace'))).toBe('name_already_exists');
    state.deleteUser(uid, 1);
    // A seed may give the deleted uid again: the old name must not lead to the new user.
    state.seed({ users: [{ uid, email: 'd@example.com', name: 'Other' }] });
    expect(conflictOf(() => create(state, 'c@example.com', 'pass-word', 'grace'))).toBeUndefined();
  });

  it('forgets every user on reset but the admin, and seeds into the lookups', () => {
    const state = start();
    create(state, 'gone@example.com', 'pass-word', 'Gone');
    state.reset();
    // The uid is given again after a reset: the old email must not lead to the new user.
    create(state, 'other@example.com', 'pass-word', 'Other');
    expect(signsIn(state, 'gone@example.com', 'pass-word')).toBeUndefined();
    expect(conflictOf(() => create(state, 'gone@example.com', 'pass-word', 'Gone'))).toBeUndefined();
    expect(signsIn(state, 'ADMIN@sandbox.local', 'sandbox')).toBe(1);
    const [seeded] = state.seed({ users: [{ email: 'Seeded@example.com', name: 'Seeded', password: 'seed-pass' }] }).users;
    expect(signsIn(state, 'seeded@example.com', 'seed-pass')).toBe(seeded?.uid);
    expect(conflictOf(() => create(state, 'x@example.com', 'pass-word', 'SEEDED'))).toBe('name_already_exists');
  });
});
