import { describe, expect, it } from 'vitest';
import type { ConnectorCapabilities, TargetAccount } from '../../../src/connectors/types.js';
import type { SyncConnection } from '../../../src/sync/connection.js';
import { classifyUnmanaged, unmanagedEmailOf, unmanagedJobId } from '../../../src/sync/unmanaged.js';

/** What the `unmanaged` option does with each kind of account nobody manages (pure). */

const capabilities = { noAccessRole: 'none' } as ConnectorCapabilities;
const connection = (unmanaged: 'report' | 'remove'): Pick<SyncConnection, 'unmanaged' | 'connector'> => ({ unmanaged, connector: { capabilities } as SyncConnection['connector'] });
const account = (over: Partial<TargetAccount> = {}): TargetAccount => ({ id: '7', email: 'Stray@Example.com', name: 'Stray', role: 'db_viewer', status: 'active', ...over });

describe('classifyUnmanaged', () => {
  const cases: [string, 'report' | 'remove', Partial<TargetAccount>, { action: string; note: RegExp | null; protection?: string | null }][] = [
    ['reports only, whatever the account', 'report', { protection: 'last-admin' }, { action: 'report', note: null, protection: 'last-admin' }],
    ['removes an active account', 'remove', {}, { action: 'remove', note: null, protection: null }],
    ['keeps the last admin', 'remove', { protection: 'last-admin' }, { action: 'keep', note: /last admin/ }],
    ['keeps an invitation until it is accepted', 'remove', { status: 'invited', id: null }, { action: 'keep', note: /invitation/ }],
    ['keeps a disabled account', 'remove', { status: 'disabled' }, { action: 'keep', note: /no access/ }],
    ['keeps an account on the no-access role', 'remove', { role: 'None' }, { action: 'keep', note: /no access/ }],
  ];
  it.each(cases)('%s', (_name, policy, over, expected) => {
    const entry = classifyUnmanaged(connection(policy), account(over));
    expect(entry.action).toBe(expected.action);
    if (expected.note === null) expect(entry.note).toBeNull();
    else expect(entry.note).toMatch(expected.note);
    if (expected.protection !== undefined) expect(entry.protection).toBe(expected.protection);
    expect(entry).toMatchObject({ email: 'Stray@Example.com', role: over.role ?? 'db_viewer' });
  });
});

describe('unmanaged job ids', () => {
  it('round-trips the email, lowercased, and never reads a SCIM user id as one', () => {
    expect(unmanagedJobId(' Stray@Example.com ')).toBe('unmanaged:stray@example.com');
    expect(unmanagedEmailOf(unmanagedJobId('Stray@Example.com'))).toBe('stray@example.com');
    expect(unmanagedEmailOf('3f1c9a52-8d0e-4d8b-9a57-0c6f1e2b7d44')).toBeNull();
  });
});
