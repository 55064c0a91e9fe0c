import { describe, expect, it } from 'vitest';
import type { ConnectorType } from '../../../src/connectors/types.js';
import { evaluateMapping, noEmailReason, resolveProfile } from '../../../src/mapping/evaluate.js';
import { loadMappingFile } from '../../../src/mapping/load.js';
import type { Decision, MappingInput, UserGroup } from '../../../src/mapping/types.js';
import { targetOf } from './targets.js';

const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const redisCloud = loadMappingFile('mappings/redis-cloud.yaml', targetOf('redis-cloud'), `
type: redis-cloud
roles:
  default: Viewer
  rules:
    - group: Redis Owners
      role: Owner
    - attribute: roles.value
      equals: [redis-admin, "25"]
      role: Owner
    - attribute: ${enterprise}:department
      equals: Billing
      role: billing admin
    - attribute: ${enterprise}:manager.value
      equals: boss-1
      role: Manager
    - group: Contractors
      role: none
    - group: Engineering
      role: Member
deactivate: delete
protected:
  emails: [Root@Example.com]
`);

const group = (displayName: string, id = `id-${displayName}`, externalId: string | null = null): UserGroup => ({ id, displayName, externalId });

const user = (overrides: Partial<MappingInput> = {}): MappingInput => ({
  userId: 'u1',
  userName: 'ada@example.com',
  active: true,
  isDeleted: false,
  attributes: { userName: 'ada@example.com', displayName: 'Ada Lovelace', emails: [{ value: 'ada@example.com', primary: true }] },
  groups: [],
  ...overrides,
});

const summary = (d: Decision): string => `${d.kind}${d.kind === 'present' ? ` ${d.role}` : ''} | ${d.reason}`;

describe('evaluateMapping: roles', () => {
  const cases: [string, Partial<MappingInput>, string, number | null][] = [
    ['no match gives the default', {}, 'present Viewer | default → Viewer', null],
    ['group by displayName, case-insensitively', { groups: [group('redis owners')] }, 'present Owner | group "Redis Owners" → Owner', 0],
    ['group by id', { groups: [group('Renamed', 'Redis Owners')] }, 'present Owner | group "Redis Owners" → Owner', 0],
    ['group by externalId', { groups: [group('Renamed', 'g-1', 'Redis Owners')] }, 'present Owner | group "Redis Owners" → Owner', 0],
    ['id and externalId are exact', { groups: [group('Renamed', 'redis owners', 'REDIS OWNERS')] }, 'present Viewer | default → Viewer', null],
    ['first match wins', { groups: [group('Engineering'), group('Redis Owners')] }, 'present Owner | group "Redis Owners" → Owner', 0],
    ['a later rule when earlier ones miss', { groups: [group('Engineering')] }, 'present Member | group "Engineering" → Member', 5],
    ['none means no account', { groups: [group('Contractors'), group('Engineering')] }, 'absent | group "Contractors" → none (no account)', 4],
  ];

  it.each(cases)('%s', (_name, overrides, expected, index) => {
    const decision = evaluateMapping(redisCloud, user(overrides));
    expect(summary(decision)).toBe(expected);
    expect(decision.rule?.index ?? null).toBe(index);
  });

  const withAttributes = (extra: Record<string, unknown>): Partial<MappingInput> => ({ attributes: { ...user().attributes, ...extra } });
  const attributeCases: [string, Record<string, unknown>, string][] = [
    ['Okta roles[].value', { roles: [{ value: 'other' }, { value: 'Redis-Admin', display: 'Redis admin' }] }, 'present Owner | roles.value equals "redis-admin" → Owner'],
    ['Entra AppRoleAssignmentsComplex roles', { roles: [{ primary: 'false', type: 'WindowsAzureActiveDirectoryRole', display: 'Admin', value: 'redis-admin' }] }, 'present Owner | roles.value equals "redis-admin" → Owner'],
    ['Entra stringified JSON role: its value', { roles: [{ value: '{"id":"06b0c1d2","value":"25","displayName":"Role1234"}' }] }, 'present Owner | roles.value equals "25" → Owner'],
    ['Entra stringified JSON role: its displayName', { roles: [{ value: '{"id":"06b0c1d2","value":"7","displayName":"REDIS-ADMIN"}' }] }, 'present Owner | roles.value equals "redis-admin" → Owner'],
    ['malformed JSON is only a string', { roles: [{ value: '{"value":"25"' }] }, 'present Viewer | default → Viewer'],
    ['a single complex value, not a list', { roles: { value: 'redis-admin' } }, 'present Owner | roles.value equals "redis-admin" → Owner'],
    ['enterprise extension field', { [enterprise]: { department: 'billing' } }, 'present Billing Admin | urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department equals "Billing" → Billing Admin'],
    ['extension URN key in another case', { [enterprise.toUpperCase()]: { Department: 'Billing' } }, 'present Billing Admin | urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department equals "Billing" → Billing Admin'],
    ['extension sub-attribute', { [enterprise]: { manager: { value: 'boss-1', displayName: 'Boss' } } }, 'present Manager | urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value equals "boss-1" → Manager'],
    ['attribute names are case-insensitive', { ROLES: [{ VALUE: 'redis-admin' }] }, 'present Owner | roles.value equals "redis-admin" → Owner'],
  ];

  it.each(attributeCases)('attribute rule: %s', (_name, extra, expected) => {
    expect(summary(evaluateMapping(redisCloud, user(withAttributes(extra))))).toBe(expected);
  });
});

describe('evaluateMapping: lifecycle and protection', () => {
  // The default role plays no part: deleted and inactive users never reach the rules.
  const mappingFor = (type: ConnectorType, policies: string) => loadMappingFile('m.yaml', targetOf(type), `type: ${type}\nroles: { default: none }\n${policies}`);
  const cases: [string, ConnectorType, string, Partial<MappingInput>, string][] = [
    ['Redis Cloud inactive: delete', 'redis-cloud', '', { active: false }, 'absent | deactivated: deactivate=delete'],
    ['Redis Enterprise inactive: role none', 'redis-enterprise', '', { active: false }, 'present none | deactivated: deactivate=role:none'],
    ['Redis Enterprise deleted: delete', 'redis-enterprise', '', { isDeleted: true }, 'absent | deleted: delete=delete'],
    ['Yardstik inactive: delete', 'yardstik', '', { active: false }, 'absent | deactivated: deactivate=delete'],
    ['Paradime inactive: disable', 'paradime', '', { active: false }, 'disabled | deactivated: deactivate=disable'],
    ['Paradime deleted: disable', 'paradime', '', { isDeleted: true, active: false }, 'disabled | deleted: delete=disable'],
    ['keep', 'paradime', 'deactivate: keep\n', { active: false }, 'keep | deactivated: deactivate=keep'],
    ['a demotion role', 'paradime', 'deactivate: role:business\n', { active: false }, 'present BUSINESS | deactivated: deactivate=role:BUSINESS'],
    ['deleted wins over inactive', 'redis-enterprise', 'delete: keep\n', { isDeleted: true, active: false }, 'keep | deleted: delete=keep'],
  ];

  it.each(cases)('%s', (_name, type, policies, overrides, expected) => {
    const decision = evaluateMapping(mappingFor(type, policies), user(overrides));
    expect(summary(decision)).toBe(expected);
    if (decision.kind === 'present') expect(decision.rule).toEqual({ index: null, description: expected.split(': ')[1] });
    else expect(decision.rule).toBeNull();
    expect(decision.profile?.email).toBe('ada@example.com');
  });

  const root = { userName: 'root@example.com', attributes: { userName: 'root@example.com', emails: [{ value: 'ROOT@example.com' }] } };
  const protectedCases: [string, Partial<MappingInput>][] = [
    ['active and in an owners group', { ...root, groups: [group('Redis Owners')] }],
    ['deleted', { ...root, isDeleted: true }],
    ['inactive', { ...root, active: false }],
    ['a secondary email is protected', { attributes: { emails: [{ value: 'ada@example.com', primary: true }, { value: 'root@example.com' }] } }],
    ['no usable email, but a protected userName', { userName: 'Root@Example.com', attributes: {} }],
  ];

  it.each(protectedCases)('protected whatever else: %s', (_name, overrides) => {
    const decision = evaluateMapping(redisCloud, user(overrides));
    expect(decision.kind).toBe('protected');
    expect(decision.rule).toBeNull();
    expect(decision.reason).toMatch(/^protected: .+ is listed in protected\.emails$/i);
  });

  it('keeps everything when no email resolves', () => {
    for (const overrides of [{}, { active: false }, { isDeleted: true }]) {
      const decision = evaluateMapping(redisCloud, user({ ...overrides, userName: 'ada', attributes: { userName: 'ada', emails: [] } }));
      expect(decision).toEqual({ kind: 'keep', profile: null, rule: null, reason: noEmailReason });
    }
  });
});

describe('resolveProfile', () => {
  const mapping = redisCloud;
  const cases: [string, Record<string, unknown>, object | null][] = [
    ['primary email first', { userName: 'login@example.com', emails: [{ value: 'home@example.com', type: 'home' }, { value: 'work@example.com', type: 'work' }, { value: 'main@example.com', primary: true }] }, { email: 'main@example.com' }],
    ['Entra primary as a string', { emails: [{ value: 'home@example.com', type: 'home' }, { value: 'main@example.com', primary: 'True' }] }, { email: 'main@example.com' }],
    ['then the work email', { userName: 'login@example.com', emails: [{ value: 'home@example.com', type: 'home' }, { value: 'work@example.com', type: 'Work' }] }, { email: 'work@example.com' }],
    ['then any email', { userName: 'login@example.com', emails: [{ value: '  ' }, { value: 'home@example.com', type: 'home' }] }, { email: 'home@example.com' }],
    ['then userName', { userName: 'login@example.com' }, { email: 'login@example.com' }],
    ['a userName that is no email is not used', { userName: 'jdoe' }, null],
    ['names: displayName, then name.formatted', { userName: 'a@example.com', name: { formatted: 'Ada L.', givenName: 'Ada', familyName: 'Lovelace' } }, { name: 'Ada L.', givenName: 'Ada', familyName: 'Lovelace' }],
    ['names absent', { userName: 'a@example.com', displayName: '' }, { name: null, givenName: null, familyName: null }],
  ];

  it.each(cases)('%s', (_name, attributes, expected) => {
    const profile = resolveProfile(mapping, attributes);
    if (expected === null) expect(profile).toBeNull();
    else expect(profile).toMatchObject(expected);
  });

  it('follows the order written in the mapping', () => {
    const custom = loadMappingFile('m.yaml', targetOf('yardstik'), `type: yardstik\nroles: { default: member }\nattributes:\n  email: ['${enterprise}:employeeNumber', userName]\n  name: [nickName, displayName]\n`);
    const attributes = { userName: 'u@example.com', displayName: 'Display', nickName: 'Nick', [enterprise]: { employeeNumber: 'e42@corp.example.com' } };
    expect(resolveProfile(custom, attributes)).toEqual({ email: 'e42@corp.example.com', name: 'Nick', givenName: null, familyName: null });
  });

  it('uses the input userName when the attributes lack it', () => {
    const decision = evaluateMapping(redisCloud, user({ userName: 'only@example.com', attributes: {} }));
    expect(decision.profile?.email).toBe('only@example.com');
  });
});
