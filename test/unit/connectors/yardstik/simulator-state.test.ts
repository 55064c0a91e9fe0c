import { describe, expect, it } from 'vitest';
import { YardstikSimState } from '../../../../src/connectors/yardstik/simulator-state.js';

/** The email lookup behind the create check and seeded memberships, after removes, replaces and resets. */

const owner = { id: '00000000-0000-4000-8000-000000000000', email_address: 'owner@sandbox.local', first_name: 'Sandbox', last_name: 'Owner', mfaResets: 0 };
const start = (): YardstikSimState => new YardstikSimState('account', owner);
const add = (state: YardstikSimState, email: string, id?: string): string =>
  state.addUser({ ...(id === undefined ? {} : { id }), email_address: email, first_name: 'First', last_name: 'Last' }).id;

describe('yardstik simulator state: lookup by email', () => {
  it('finds the owner and users in any case, and forgets a removed user', () => {
    const state = start();
    const id = add(state, 'Ada@Example.com');
    expect(state.findByEmail('OWNER@sandbox.local')?.id).toBe(owner.id);
    expect(state.findByEmail('ada@example.COM')?.id).toBe(id);
    state.removeUser(id);
    expect(state.findByEmail('ada@example.com')).toBeUndefined();
  });

  it('with two users holding an email, finds the first until it is removed', () => {
    const state = start();
    const first = add(state, 'twice@example.com');
    const second = add(state, 'TWICE@example.com');
    expect(state.findByEmail('twice@example.com')?.id).toBe(first);
    state.removeUser(first);
    expect(state.findByEmail('twice@example.com')?.id).toBe(second);
  });

  it('forgets the email of a user a seed replaces by id', () => {
    const state = start();
    const id = add(state, 'old@example.com', '11111111-1111-4111-8111-111111111111');
    state.seed({ users: [{ id, email_address: 'new@example.com' }] });
    expect(state.findByEmail('old@example.com')).toBeUndefined();
    expect(state.findByEmail('new@example.com')?.id).toBe(id);
  });

  it('forgets every user on reset', () => {
    const state = start();
    add(state, 'gone@example.com', '22222222-2222-4222-8222-222222222222');
    state.reset();
    add(state, 'other@example.com', '22222222-2222-4222-8222-222222222222');
    expect(state.findByEmail('gone@example.com')).toBeUndefined();
  });
});
