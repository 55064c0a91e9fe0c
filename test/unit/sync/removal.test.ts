import { describe, expect, it } from 'vitest';
import type { Connector, RemovalResult, TargetAccount } from '../../../src/connectors/types.js';
import { confirmRemoval, grantsAccess, type RemovalOp } from '../../../src/sync/removal.js';

/** The framework's rule: an unconfirmed disable or delete counts only when a fresh read agrees. */

const account: TargetAccount = { id: '7', email: 'ada@example.com', name: 'Ada', role: 'member', status: 'active' };

function fakeConnector(byId: TargetAccount | null | undefined, byEmail: TargetAccount | null, noAccessRole?: string) {
  const reads: string[] = [];
  const connector: Pick<Connector, 'getAccount' | 'findByEmail' | 'capabilities'> = {
    capabilities: { noAccessRole } as Connector['capabilities'],
    findByEmail: async (email) => (reads.push(`email:${email}`), byEmail),
    ...(byId === undefined ? {} : { getAccount: async (id: string) => (reads.push(`id:${id}`), byId) }),
  };
  return { connector, reads };
}

const run = (c: ReturnType<typeof fakeConnector>, op: RemovalOp, result: RemovalResult) =>
  confirmRemoval(c.connector, account, op, result, (_detail, read) => read());

describe('confirmRemoval', () => {
  it('believes a confirmed removal without reading again', async () => {
    const c = fakeConnector({ ...account }, { ...account });
    expect(await run(c, 'delete', 'confirmed')).toBeNull();
    expect(await run(c, 'disable', 'confirmed')).toEqual({ ...account, status: 'disabled' });
    expect(c.reads).toEqual([]);
  });

  it.each([
    ['delete', 'gone by id and by email', null, null, null],
    ['disable', 'gone', undefined, null, { ...account, status: 'disabled' }],
    ['disable', 'listed disabled', undefined, { ...account, status: 'disabled' }, { ...account, status: 'disabled' }],
  ] as const)('accepts an unconfirmed %s when the account is %s', async (op, _what, byId, byEmail, expected) => {
    const c = fakeConnector(byId, byEmail);
    expect(await run(c, op, 'unconfirmed')).toEqual(expected);
    expect(c.reads.length).toBeGreaterThan(0);
  });

  it('accepts an unconfirmed disable when the account holds the no-access role', async () => {
    const c = fakeConnector(undefined, { ...account, role: 'none' }, 'none');
    expect(await run(c, 'disable', 'unconfirmed')).toMatchObject({ role: 'none' });
  });

  it.each([
    ['delete', 'still there by id', { ...account }, null],
    ['delete', 'gone by id but listed by email', null, { ...account, id: '8' }],
    ['delete', 'listed disabled (a delete leaves nothing)', undefined, { ...account, status: 'disabled' }],
    ['disable', 'still active', undefined, { ...account }],
    ['disable', 'an invitation', undefined, { ...account, id: null, status: 'invited' }],
  ] as const)('refuses an unconfirmed %s when the account is %s', async (op, _what, byId, byEmail) => {
    const c = fakeConnector(byId, byEmail);
    await expect(run(c, op, 'unconfirmed')).rejects.toMatchObject({ code: 'REMOVAL_UNCONFIRMED', kind: 'permanent' });
  });
});

describe('grantsAccess', () => {
  it.each([
    [{ status: 'active', role: 'member' }, undefined, true],
    [{ status: 'invited', role: 'member' }, undefined, true],
    [{ status: 'disabled', role: 'member' }, undefined, false],
    [{ status: 'active', role: 'NONE' }, 'none', false],
    [{ status: 'active', role: null }, 'none', true],
  ] as const)('%o with no-access role %s: %s', (fields, noAccessRole, expected) => {
    expect(grantsAccess({ ...account, ...fields }, noAccessRole)).toBe(expected);
  });
});
