import { describe, expect, it } from 'vitest';
import type { ConnectorCapabilities, TargetAccount } from '../../../src/connectors/types.js';
import type { Decision } from '../../../src/mapping/types.js';
import { isRemoval, planConvergence } from '../../../src/sync/plan.js';

const base: ConnectorCapabilities = {
  create: 'sync', deactivation: 'delete', refusesTakenEmail: true, canReactivate: true, canDelete: true, isEmailMutable: false, isNameMutable: true, isRoleMutable: true, roles: ['Owner', 'Member', 'Viewer'],
};
const paradime: ConnectorCapabilities = { ...base, create: 'invitation', deactivation: 'native', canReactivate: false, canDelete: false, isNameMutable: false, roles: ['ADMIN', 'DEVELOPER'] };
const enterprise: ConnectorCapabilities = { ...base, deactivation: 'role', noAccessRole: 'none', isEmailMutable: true, roles: ['admin', 'db_viewer', 'none'], acceptsRoleUids: true };
const profile = { email: 'ada@example.com', name: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace' };
const rule = { index: null, description: 'default' };
const present = (role: string, email = profile.email): Decision => ({ kind: 'present', role, profile: { ...profile, email }, rule, reason: 'r' });
const absent: Decision = { kind: 'absent', profile, rule, reason: 'deactivated' };
const disabled: Decision = { kind: 'disabled', profile, rule, reason: 'deactivated' };
const account = (over: Partial<TargetAccount> = {}): TargetAccount => ({ id: '1', email: profile.email, name: 'Ada Lovelace', role: 'Viewer', status: 'active', ...over });

describe('planConvergence', () => {
  it.each([
    ['creates a missing account', present('Viewer'), null, base, 'converge', [{ op: 'create', role: 'Viewer', profile }]],
    ['does nothing when in sync', present('Viewer'), account(), base, 'converge', []],
    ['matches roles case-insensitively', present('viewer'), account(), base, 'converge', []],
    ['changes the role', present('Owner'), account(), base, 'converge', [{ op: 'update', change: { role: 'Owner' } }]],
    ['changes role and name in one call', present('Owner'), account({ name: 'Old' }), base, 'converge', [{ op: 'update', change: { role: 'Owner', name: 'Ada Lovelace' } }]],
    ['deletes for absent', absent, account(), base, 'converge', [{ op: 'delete' }]],
    ['absent and already gone is in sync', absent, null, base, 'converge', []],
    ['disables natively where it cannot delete', absent, account({ role: 'DEVELOPER' }), paradime, 'converge', [{ op: 'disable' }]],
    ['disabled decision disables', disabled, account({ role: 'DEVELOPER' }), paradime, 'converge', [{ op: 'disable' }]],
    ['an invitation is created for invitation targets', present('DEVELOPER'), null, paradime, 'converge', [{ op: 'create', role: 'DEVELOPER', profile }]],
    ['waits on an invitation before a role change', present('ADMIN'), account({ id: null, role: 'DEVELOPER', status: 'invited' }), paradime, 'wait', []],
    ['waits on an invitation before removal', absent, account({ id: null, role: 'DEVELOPER', status: 'invited' }), paradime, 'wait', []],
    ['an email change on Redis Enterprise is an update', present('admin', 'new@example.com'), account({ role: 'admin' }), enterprise, 'converge', [{ op: 'update', change: { email: 'new@example.com' } }]],
    ['an email change where emails are fixed is unsupported, the role still moves', present('Owner', 'new@example.com'), account(), base, 'unsupported', [{ op: 'update', change: { role: 'Owner' } }]],
    ['a disabled account that cannot be re-enabled is unsupported', present('DEVELOPER'), account({ role: 'DEVELOPER', status: 'disabled' }), paradime, 'unsupported', []],
  ] as const)('%s', (_name, decision, current, caps, kind, steps) => {
    const plan = planConvergence({ decision, account: current, previousStatus: null, capabilities: caps });
    expect(plan.kind).toBe(kind);
    expect(plan.steps).toEqual(steps);
  });

  it('remembers a Paradime account that vanished from listings once disabled', () => {
    const plan = planConvergence({ decision: present('DEVELOPER'), account: null, previousStatus: 'disabled', capabilities: paradime });
    expect(plan.kind).toBe('unsupported');
    expect(plan.summary).toContain('re-enable');
    expect(planConvergence({ decision: disabled, account: null, previousStatus: 'disabled', capabilities: paradime }).expected.accountStatus).toBe('disabled');
  });

  it('never plans anything for protected or keep decisions', () => {
    expect(planConvergence({ decision: { kind: 'protected', profile, rule: null, reason: 'listed' }, account: account(), previousStatus: null, capabilities: base })).toMatchObject({ kind: 'protected', steps: [] });
    expect(planConvergence({ decision: { kind: 'keep', profile, rule, reason: 'keep' }, account: account({ role: 'Owner' }), previousStatus: null, capabilities: base }).steps).toEqual([]);
  });

  it('accepts a role given by an alias (role_uids)', () => {
    const plan = planConvergence({ decision: present('role_uids:[1]'), account: account({ role: 'admin', roleAliases: ['role_uids:[1]'] }), previousStatus: null, capabilities: enterprise });
    expect(plan.steps).toEqual([]);
  });

  it('counts delete, disable and a move to the no-access role as removals', () => {
    const removal = (decision: Decision, caps: ConnectorCapabilities, current = account()) => isRemoval(planConvergence({ decision, account: current, previousStatus: null, capabilities: caps }), caps);
    expect(removal(absent, base)).toBe(true);
    expect(removal(disabled, paradime, account({ role: 'DEVELOPER' }))).toBe(true);
    expect(removal(present('none'), enterprise, account({ role: 'admin' }))).toBe(true);
    expect(removal(present('Owner'), base)).toBe(false);
  });
});
