import { describe, expect, it } from 'vitest';
import type { ConnectorType } from '../../../src/connectors/types.js';
import { loadMappingFile, MappingError } from '../../../src/mapping/load.js';
import type { MappingTarget } from '../../../src/mapping/roles.js';
import { targetOf } from './targets.js';

const load = (type: ConnectorType, text: string) => loadMappingFile('mappings/test.yaml', targetOf(type), text);

/** Every issue as `line path: message`. */
const issuesOf = (type: ConnectorType, text: string): string[] => {
  try {
    load(type, text);
  } catch (err) {
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).code).toBe('MAPPING_INVALID');
    return (err as MappingError).issues.map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`);
  }
  throw new Error('expected a MappingError');
};

const rcRoles = 'Owner, Member, Viewer, Logs Viewer (API use only), Manager, Billing Admin';
const reRoles = 'admin, cluster_member, cluster_viewer, db_member, db_viewer, user_manager, none, role_uids:[…]';
const pdRoles = 'ADMIN, DEVELOPER, BUSINESS, BILLING_ADMIN, SECURITY_ADMIN, WORKSPACE_SETTINGS_ADMIN, WORKSPACE_ADMIN, ANALYST, SANDBOX_USER';

describe('mapping file validation', () => {
  const cases: [string, ConnectorType, string, string[]][] = [
    ['wrong type', 'redis-cloud', 'type: paradime\nroles: { default: Viewer }\n', [`1 type: "paradime" does not match the connection's type "redis-cloud"`]],
    ['missing type and roles', 'paradime', 'deactivate: disable\n', [
      "1 type: expected type: paradime (the connection's type)",
      '1 roles: required: roles.default, the role for users no rule matches',
    ]],
    ['missing default', 'paradime', 'type: paradime\nroles:\n  rules: []\n', ['3 roles.default: required: the role for users no rule matches (none: no account)']],
    ['unknown Redis Cloud role', 'redis-cloud', 'type: redis-cloud\nroles:\n  default: Viewer\n  rules:\n    - group: Ops\n      role: Member\n    - group: Admins\n      role: Admin\n', [
      `8 roles.rules[1].role: "Admin" is not a Redis Cloud role (${rcRoles}, none)`,
    ]],
    ['unknown Redis Enterprise role', 'redis-enterprise', 'type: redis-enterprise\nroles: { default: dba }\n', [`2 roles.default: "dba" is not a Redis Enterprise role (${reRoles})`]],
    ['unknown Paradime role', 'paradime', 'type: paradime\nroles: { default: OWNER }\n', [`2 roles.default: "OWNER" is not a Paradime role (${pdRoles}, none)`]],
    ['Yardstik is access-only', 'yardstik', 'type: yardstik\nroles:\n  default: admin\n  rules:\n    - group: Ops\n      role_uids: [1]\n', [
      '3 roles.default: "admin" is not a Yardstik role (member, none)',
      '6 roles.rules[0].role_uids: "role_uids:[1]" is not a Yardstik role (member)',
    ]],
    ['role_uids only on Redis Enterprise', 'redis-cloud', 'type: redis-cloud\nroles: { default: "role_uids:[1]" }\n', [`2 roles.default: "role_uids:[1]" is not a Redis Cloud role (${rcRoles}, none)`]],
    ['bad role_uids forms', 'redis-enterprise', 'type: redis-enterprise\nroles:\n  default: role_uids:[]\n  rules:\n    - group: A\n      role_uids: [a]\n    - group: B\n      role: db_viewer\n      role_uids: [3]\n    - group: C\n      role: { role_uids: 4 }\n', [
      '3 roles.default: role_uids needs at least one role uid',
      '6 roles.rules[0].role_uids[0]: expected role uids (integers)',
      '9 roles.rules[1].role_uids: give role or role_uids, not both',
      '11 roles.rules[2].role: expected a role name (or role_uids: [1, 4])',
    ]],
    ['disable on a target without native disable', 'redis-cloud', 'type: redis-cloud\nroles: { default: Viewer }\ndeactivate: disable\n', ['3 deactivate: Redis Cloud has no native disable: use delete, role:<role> or keep']],
    ['disable on Redis Enterprise (a role target)', 'redis-enterprise', 'type: redis-enterprise\nroles: { default: db_viewer }\ndelete: disable\n', ['3 delete: Redis Enterprise has no native disable: use delete, role:<role> or keep']],
    ['delete where the API cannot delete', 'paradime', 'type: paradime\nroles: { default: DEVELOPER }\ndeactivate: delete\n', ['3 deactivate: Paradime cannot delete accounts: use disable, role:<role> or keep']],
    ['role:<x> where roles are fixed', 'yardstik', 'type: yardstik\nroles: { default: member }\ndeactivate: role:member\ndelete: disable\n', [
      '3 deactivate: Yardstik cannot change roles: use delete or keep',
      '4 delete: Yardstik has no native disable: use delete or keep',
    ]],
    ['role:<x> with an unknown role (none is no Redis Cloud role)', 'redis-cloud', 'type: redis-cloud\nroles: { default: Viewer }\ndeactivate: role:none\n', [`3 deactivate: "none" is not a Redis Cloud role (${rcRoles})`]],
    ['unknown policy', 'redis-cloud', 'type: redis-cloud\nroles: { default: Viewer }\ndelete: nuke\n', ['3 delete: expected delete, disable, keep or role:<role>, got "nuke"']],
    ['bad attribute paths', 'redis-cloud', "type: redis-cloud\nroles:\n  default: Viewer\n  rules:\n    - attribute: roles..value\n      equals: x\n      role: Owner\nattributes:\n  email: ['emails[type eq].value']\n  name: []\n", [
      '5 roles.rules[0].attribute: not a SCIM attribute path: invalid attribute path "roles..value"',
      '9 attributes.email[0]: not a SCIM attribute path: invalid value filter in path: missing comparison value',
      '10 attributes.name: give at least one SCIM attribute path',
    ]],
    ['rule shapes', 'redis-cloud', 'type: redis-cloud\nroles:\n  default: Viewer\n  rules:\n    - group: Ops\n      attribute: roles.value\n      equals: x\n      role: Owner\n    - attribute: roles.value\n      role: Owner\n    - equals: x\n      role: Owner\n    - group: Ops\n', [
      '5 roles.rules[0]: a rule matches either a group or an attribute, not both',
      '9 roles.rules[1]: attribute needs equals: a string or a list of strings',
      '11 roles.rules[2]: a rule needs group or attribute',
      '11 roles.rules[2].equals: equals goes with attribute',
      '13 roles.rules[3]: a rule needs a role',
    ]],
    ['unknown keys, everywhere', 'redis-cloud', 'type: redis-cloud\nroles:\n  default: Viewer\n  fallback: Member\n  rules:\n    - group: Ops\n      role: Owner\n      priority: 1\nprotected:\n  emails: [root@example.com, not-an-email]\n  names: [x]\nattributes:\n  phone: [phoneNumbers.value]\nextra: true\n', [
      '4 roles.fallback: unknown field',
      '8 roles.rules[0].priority: unknown field',
      '10 protected.emails[1]: expected an email address',
      '11 protected.names: unknown field',
      '13 attributes.phone: unknown field',
      '14 extra: unknown field',
    ]],
    ['YAML syntax', 'redis-cloud', 'type: redis-cloud\ntype: paradime\n', ['2 (yaml): Map keys must be unique (column 1)']],
  ];

  it.each(cases)('%s', (_name, type, text, expected) => {
    expect(issuesOf(type, text).sort()).toEqual([...expected].sort());
  });

  it('reports a missing file with its name', () => {
    expect(() => loadMappingFile('/nonexistent/mappings/paradime.yaml', targetOf('paradime'))).toThrow(/paradime\.yaml \(file\): file not found/);
  });

  it('formats the error message as file:line path: message', () => {
    expect(() => load('redis-cloud', 'type: redis-cloud\nroles:\n  default: Admin\n')).toThrow(
      `invalid mapping:\n  mappings/test.yaml:3 roles.default: "Admin" is not a Redis Cloud role (${rcRoles}, none)`,
    );
  });
});

describe('mapping file normalisation', () => {
  const roleCases: [ConnectorType, string, string][] = [
    ['redis-cloud', 'owner', 'Owner'],
    ['redis-cloud', 'billing admin', 'Billing Admin'],
    ['redis-cloud', 'Logs Viewer', 'Logs Viewer (API use only)'],
    ['redis-cloud', 'NONE', 'none'],
    ['redis-enterprise', 'DB_Viewer', 'db_viewer'],
    ['redis-enterprise', 'none', 'none'],
    ['redis-enterprise', 'role_uids:[4,1]', 'role_uids:[1,4]'],
    ['redis-enterprise', '"role_uids: [ 4, 1, 4 ]"', 'role_uids:[1,4]'],
    ['redis-enterprise', '{ role_uids: [17, 4] }', 'role_uids:[4,17]'],
    ['yardstik', 'Member', 'member'],
    ['paradime', 'developer', 'DEVELOPER'],
  ];

  it.each(roleCases)('%s role %s is spelled %s', (type, written, canonical) => {
    const mapping = load(type, `type: ${type}\nroles:\n  default: ${written}\n  rules:\n    - group: G\n      role: ${written}\n`);
    expect(mapping.roles.default).toBe(canonical);
    expect(mapping.roles.rules[0]).toMatchObject({ role: canonical });
  });

  it('takes role_uids: [1, 4] in place of role in a rule', () => {
    const mapping = load('redis-enterprise', 'type: redis-enterprise\nroles:\n  default: db_viewer\n  rules:\n    - group: DBA\n      role_uids: [4, 1]\n');
    expect(mapping.roles.rules).toEqual([{ kind: 'group', group: 'DBA', role: 'role_uids:[1,4]' }]);
  });

  const policyCases: [ConnectorType, string, object, object][] = [
    ['redis-cloud', '', { kind: 'delete' }, { kind: 'delete' }],
    ['redis-enterprise', '', { kind: 'role', role: 'none' }, { kind: 'delete' }],
    ['yardstik', '', { kind: 'delete' }, { kind: 'delete' }],
    ['paradime', '', { kind: 'disable' }, { kind: 'disable' }],
    ['redis-cloud', 'deactivate: role:viewer\ndelete: keep\n', { kind: 'role', role: 'Viewer' }, { kind: 'keep' }],
    ['redis-enterprise', 'deactivate: "role:role_uids:[6]"\ndelete: KEEP\n', { kind: 'role', role: 'role_uids:[6]' }, { kind: 'keep' }],
    ['paradime', 'deactivate: role:business\ndelete: disable\n', { kind: 'role', role: 'BUSINESS' }, { kind: 'disable' }],
  ];

  it.each(policyCases)('%s deprovisioning %j', (type, yaml, deactivate, deleted) => {
    const mapping = load(type, `type: ${type}\nroles: { default: none }\n${yaml}`);
    expect(mapping.deactivate).toEqual(deactivate);
    expect(mapping.delete).toEqual(deleted);
  });

  it('fills defaults: no rules, no protected emails, the attribute paths', () => {
    const mapping = load('yardstik', 'type: yardstik\nroles: { default: member }\nprotected: { emails: [Root@Example.com] }\n');
    expect(mapping.roles.rules).toEqual([]);
    expect(mapping.protected.emails).toEqual(['root@example.com']);
    expect(Object.fromEntries(Object.entries(mapping.attributes).map(([k, paths]) => [k, paths.map((p) => p.text)]))).toEqual({
      email: ['emails[primary eq true].value', 'emails[type eq "work"].value', 'emails.value', 'userName'],
      name: ['displayName', 'name.formatted'],
      givenName: ['name.givenName'],
      familyName: ['name.familyName'],
    });
  });

  it('takes one path or a list, and equals as a scalar or a list of strings', () => {
    const mapping = load('paradime', 'type: paradime\nroles:\n  default: none\n  rules:\n    - attribute: roles.value\n      equals: 25\n      role: admin\n    - attribute: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department\n      equals: [Finance, true]\n      role: business\nattributes:\n  email: userName\n');
    expect(mapping.roles.rules.map((r) => (r.kind === 'attribute' ? [r.attribute.text, r.equals, r.role] : r))).toEqual([
      ['roles.value', ['25'], 'ADMIN'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', ['Finance', 'true'], 'BUSINESS'],
    ]);
    expect(mapping.attributes.email.map((p) => p.text)).toEqual(['userName']);
    expect(mapping.attributes.name.map((p) => p.text)).toEqual(['displayName', 'name.formatted']);
  });
});

describe('the role model is handed in', () => {
  // A role model no shipped connector has: the mapping layer checks against what it is given.
  const custom: MappingTarget = {
    type: 'yardstik',
    capabilities: { ...targetOf('yardstik').capabilities, roles: ['Reader', 'Writer'], isRoleMutable: true },
  };

  it('accepts the roles of the model it is given, in its spelling, and refuses the connector registry ones', () => {
    const mapping = loadMappingFile('m.yaml', custom, 'type: yardstik\nroles:\n  default: reader\n  rules:\n    - group: G\n      role: WRITER\ndeactivate: role:reader\n');
    expect(mapping.roles).toEqual({ default: 'Reader', rules: [{ kind: 'group', group: 'G', role: 'Writer' }] });
    expect(mapping.deactivate).toEqual({ kind: 'role', role: 'Reader' });
    expect(() => loadMappingFile('m.yaml', custom, 'type: yardstik\nroles: { default: member }\n')).toThrow('"member" is not a Yardstik role (Reader, Writer, none)');
  });
});
