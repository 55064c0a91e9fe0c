import { describe, expect, it } from 'vitest';
import type { ConnectorType } from '../../../src/connectors/types.js';
import { evaluateMapping } from '../../../src/mapping/evaluate.js';
import { loadMappingFile, MappingError } from '../../../src/mapping/load.js';
import type { Decision, MappingInput } from '../../../src/mapping/types.js';
import { targetOf } from './targets.js';

/** `assigned: roles` rules: the role an IdP assigned, when the target has it, in its place among the rules. */

const load = (type: ConnectorType, text: string) => loadMappingFile('mappings/test.yaml', targetOf(type), text);

const idpFirst = load('redis-cloud', `
type: redis-cloud
roles:
  default: Viewer
  rules:
    - assigned: roles
    - group: Redis Owners
      role: Owner
`);

const groupsFirst = load('redis-cloud', `
type: redis-cloud
roles:
  default: none
  rules:
    - group: Redis Owners
      role: Owner
    - assigned: roles
`);

// Redis Cloud's roles, highest first, as the role catalog hands them in.
const cloudRoles = ['Owner', 'Manager', 'Member', 'Viewer', 'Billing Admin', 'Logs Viewer (API use only)'];

const user = (roles: unknown, groups: string[] = []): MappingInput => ({
  userId: 'u1',
  userName: 'ada@example.com',
  active: true,
  isDeleted: false,
  attributes: { userName: 'ada@example.com', emails: [{ value: 'ada@example.com', primary: true }], ...(roles === undefined ? {} : { roles }) },
  groups: groups.map((g) => ({ id: `id-${g}`, displayName: g, externalId: null })),
});

const roleOf = (d: Decision): string => (d.kind === 'present' ? d.role : d.kind);

describe('assigned: roles', () => {
  it.each([
    ['one role assigned in Okta', [{ value: 'Member', display: 'Member' }], [], 'Member', 'roles assigned in the IdP: "Member"'],
    ['case-insensitively, in the target spelling', [{ value: 'member' }], [], 'Member', 'roles assigned in the IdP: "Member"'],
    ['the primary one first', [{ value: 'Owner' }, { value: 'Viewer', primary: true }], [], 'Viewer', 'roles assigned in the IdP: "Viewer"'],
    ["Entra's string primary", [{ value: 'Owner', primary: 'False' }, { value: 'Member', primary: 'True' }], [], 'Member', 'roles assigned in the IdP: "Member"'],
    ['else the highest in the target order', [{ value: 'Viewer' }, { value: 'Manager' }, { value: 'Member' }], [], 'Manager', 'roles assigned in the IdP: "Manager"'],
    ["Entra's stringified app role", [{ value: JSON.stringify({ id: '06b0', value: 'Manager', displayName: 'Manager' }) }], [], 'Manager', 'roles assigned in the IdP: "Manager"'],
    ['no role assigned: the next rule', undefined, ['Redis Owners'], 'Owner', 'group "Redis Owners"'],
    ['no role assigned, no group: the default', [], [], 'Viewer', 'default'],
  ] as const)('%s', (_what, roles, groups, role, description) => {
    const decision = evaluateMapping(idpFirst, user(roles, [...groups]), cloudRoles);
    expect(roleOf(decision)).toBe(role);
    expect(decision.rule?.description).toBe(description);
    expect(decision.warnings).toBeUndefined();
  });

  it('sits in its place: a group rule above it wins, and it only fills in', () => {
    expect(roleOf(evaluateMapping(groupsFirst, user([{ value: 'Viewer' }], ['Redis Owners']), cloudRoles))).toBe('Owner');
    expect(roleOf(evaluateMapping(groupsFirst, user([{ value: 'Viewer' }]), cloudRoles))).toBe('Viewer');
    expect(roleOf(evaluateMapping(groupsFirst, user([]), cloudRoles))).toBe('absent');
  });

  it('ignores a value the target has no role for, with a warning, and never passes it on', () => {
    const decision = evaluateMapping(idpFirst, user([{ value: 'Astronaut' }, { value: 'Member' }]), cloudRoles);
    expect(roleOf(decision)).toBe('Member');
    expect(decision.warnings).toEqual(['roles: "Astronaut" is not a role of this target (see /Roles); ignored']);
    const alone = evaluateMapping(idpFirst, user([{ value: 'Astronaut', primary: true }], ['Redis Owners']), cloudRoles);
    expect(roleOf(alone)).toBe('Owner');
    expect(alone.warnings).toHaveLength(1);
  });

  it('without the target roles handed in, nothing assigned counts', () => {
    const decision = evaluateMapping(idpFirst, user([{ value: 'Owner' }]));
    expect(roleOf(decision)).toBe('Viewer');
    expect(decision.warnings).toHaveLength(1);
  });

  it('matches Redis Enterprise role uids however they are spaced or ordered', () => {
    const mapping = load('redis-enterprise', 'type: redis-enterprise\nroles:\n  default: db_viewer\n  rules:\n    - assigned: roles\n');
    const decision = evaluateMapping(mapping, user([{ value: 'role_uids:[ 17 ]' }]), ['role_uids:[1]', 'role_uids:[17]', 'role_uids:[5]']);
    expect(roleOf(decision)).toBe('role_uids:[17]');
  });

  it('reads entitlements with assigned: entitlements', () => {
    const mapping = load('paradime', 'type: paradime\nroles:\n  default: BUSINESS\n  rules:\n    - assigned: entitlements\n');
    const input = { ...user(undefined), attributes: { ...user(undefined).attributes, entitlements: [{ value: 'DEVELOPER', type: 'License' }] } };
    expect(roleOf(evaluateMapping(mapping, input, ['ADMIN', 'DEVELOPER', 'BUSINESS']))).toBe('DEVELOPER');
  });
});

describe('assigned rules in a mapping file', () => {
  const issues = (type: ConnectorType, rule: string): string[] => {
    try {
      load(type, `type: ${type}\nroles:\n  default: member\n  rules:\n    - ${rule}\n`);
      return [];
    } catch (err) {
      if (!(err instanceof MappingError)) throw err;
      return err.issues.map((i) => `${i.path}: ${i.message}`);
    }
  };

  it('is refused for a target without roles to assign, and with anything beside it', () => {
    expect(issues('yardstik', 'assigned: roles')).toEqual(['roles.rules[0].assigned: Yardstik has no roles an IdP can assign: use group or attribute rules']);
    expect(issues('paradime', 'assigned: roles\n      role: ADMIN').join('\n')).toMatch(/assigned takes the role the IdP assigned: remove role/);
    expect(issues('paradime', 'assigned: groups').join('\n')).toMatch(/expected assigned: roles or assigned: entitlements/);
  });
});
