import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorableText } from '../../src/filter/index.js';
import { PATCH_OP } from '../fixtures/entra/requests.js';
import { startTestBridge, type ScimClient, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { expectError, expectList, type Resource } from './scim-assert.js';

/**
 * The bridge's own `/Schemas` as the oracle (RFC 7643 §7): for every attribute it advertises as
 * writable, a random sequence of add, replace and remove, each followed by a GET that shows what a
 * model of the resource expects (RFC 7644 §3.5.2: add and replace set the value, remove makes it
 * unassigned, and unassigned attributes are omitted); required attributes refuse removal; every
 * read-only attribute refuses writes with `mutability`. A new attribute in `/Schemas` is covered
 * without touching this file.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** An attribute as `/Schemas` describes it (RFC 7643 §7). */
interface SchemaAttribute {
  name: string;
  type: string;
  multiValued: boolean;
  required: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  referenceTypes?: string[];
  subAttributes?: SchemaAttribute[];
}

/** One attribute a PATCH path can name: `name.givenName`, `urn:...:User:department`, `emails`. */
interface Target {
  /** The PATCH path. */
  path: string;
  /** Where the value sits in the resource: [urn?, attr, sub?]. */
  keys: string[];
  attribute: SchemaAttribute;
  /** For a sub-attribute: its parent. */
  parent?: SchemaAttribute;
}

type Json = Record<string, unknown>;

const isWritable = (a: SchemaAttribute): boolean => a.mutability !== 'readOnly';

/** Every writable leaf of a schema: simple attributes, sub-attributes of singular complex ones, and whole multi-valued ones. */
function writableTargets(schemaId: string, attributes: SchemaAttribute[], isCore: boolean): Target[] {
  const prefix = isCore ? '' : `${schemaId}:`;
  const base = isCore ? [] : [schemaId];
  return attributes.filter(isWritable).flatMap((attribute): Target[] => {
    if (attribute.type === 'complex' && !attribute.multiValued) {
      return (attribute.subAttributes ?? []).filter(isWritable).map((sub) => ({
        path: `${prefix}${attribute.name}.${sub.name}`,
        keys: [...base, attribute.name, sub.name],
        attribute: sub,
        parent: attribute,
      }));
    }
    return [{ path: `${prefix}${attribute.name}`, keys: [...base, attribute.name], attribute }];
  });
}

/** Every read-only attribute and sub-attribute, as PATCH paths. */
function readOnlyPaths(schemaId: string, attributes: SchemaAttribute[], isCore: boolean): string[] {
  const prefix = isCore ? '' : `${schemaId}:`;
  return attributes.flatMap((a) => [
    ...(a.mutability === 'readOnly' ? [`${prefix}${a.name}`] : []),
    ...(a.subAttributes ?? []).filter((s) => s.mutability === 'readOnly' || a.mutability === 'readOnly').map((s) => `${prefix}${a.name}.${s.name}`),
  ]);
}

const text = fc.string({ minLength: 1, maxLength: 16 }).filter((s) => s.trim() !== '' && isStorableText(s));
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);

/** A value of a simple attribute, by its type (RFC 7643 §2.3). */
function simpleValue(attribute: SchemaAttribute, base: string): fc.Arbitrary<unknown> {
  switch (attribute.type) {
    case 'boolean':
      return fc.boolean();
    case 'reference':
      return attribute.referenceTypes?.includes('User') ? fc.uuid().map((id) => `${base}/Users/${id}`) : word.map((w) => `https://example.com/${w}`);
    case 'binary':
      return fc.uint8Array({ minLength: 1, maxLength: 12 }).map((bytes) => Buffer.from(bytes).toString('base64'));
    case 'integer':
      return fc.integer({ min: -1000, max: 1000 });
    case 'decimal':
      return fc.double({ min: -1000, max: 1000, noNaN: true });
    case 'dateTime':
      return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    default:
      return text;
  }
}

/** A value for a target: a simple value, or 1-2 elements of a multi-valued complex attribute. */
function valueFor(target: Target, base: string): fc.Arbitrary<unknown> {
  const { attribute } = target;
  if (!attribute.multiValued) return simpleValue(attribute, base);
  // `primary` stays out: RFC 7643 §2.4 allows one primary element, which add would break by appending.
  const subs = (attribute.subAttributes ?? []).filter((s) => isWritable(s) && s.name !== 'primary');
  const element = fc.record(Object.fromEntries(subs.map((s) => [s.name, simpleValue(s, base)])), { requiredKeys: subs.some((s) => s.name === 'value') ? ['value'] : [] });
  return fc.array(element.filter((e) => Object.keys(e).length > 0), { minLength: 1, maxLength: 2 });
}

const lower = (s: string): string => s.toLowerCase();
function read(resource: unknown, keys: readonly string[]): unknown {
  let value = resource;
  for (const key of keys) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const found = Object.keys(value).find((k) => lower(k) === lower(key));
    value = found === undefined ? undefined : (value as Json)[found];
  }
  return value;
}

/** One step of a sequence; `isPathless` sends add or replace as `{"op":…,"value":{"<path>":…}}` (RFC 7644 §3.5.2.1, §3.5.2.3). */
interface Step {
  target: Target;
  op: 'add' | 'replace' | 'remove';
  value: unknown;
  isPathless?: boolean;
}

/** The PatchOp operation of a step: the same change with the path, or as a path-less value keyed by it. */
const operationOf = (s: Step): Json =>
  s.op === 'remove' ? { op: 'remove', path: s.target.path } : s.isPathless ? { op: s.op, value: { [s.target.path]: s.value } } : { op: s.op, path: s.target.path, value: s.value };

describe.each(['sqlite', 'postgres'] as const)('every attribute /Schemas advertises, on %s', (kind: StoreKind) => {
  let tb: TestBridge;
  let scim: ScimClient;
  let base: string;
  let schemas: Map<string, SchemaAttribute[]>;
  let n = 0;
  beforeAll(async () => {
    tb = await startTestBridge({ store: kind, types: ['redis-enterprise'], runWorkers: false });
    scim = tb.scim('redis-enterprise');
    base = `${tb.bridge.url}/scim/v2/redis-enterprise`;
    const list = expectList(await scim.get('/Schemas')).Resources as unknown as { id: string; attributes: SchemaAttribute[] }[];
    schemas = new Map(list.map((s) => [s.id, s.attributes]));
  });
  afterAll(() => tb.close());

  const userTargets = (): Target[] => [
    ...writableTargets(CORE_USER, schemas.get(CORE_USER) ?? [], true),
    ...writableTargets(ENTERPRISE, schemas.get(ENTERPRISE) ?? [], false),
  ];
  const newUser = async (): Promise<Resource> =>
    (await scim.post('/Users', { schemas: [CORE_USER], userName: `prop.${kind}.${++n}@example.com` }).expect(201)).body as Resource;
  const patch = (path: string, body: Json) => scim.patch(path, { schemas: [PATCH_OP], Operations: [body] });

  /** What GET should show at a target after the steps: the model of the resource. */
  function model(steps: readonly Step[], initial: Map<string, unknown>): Map<string, unknown> {
    const state = new Map(initial);
    for (const { target, op, value } of steps) {
      const key = lower(target.path);
      if (op === 'remove') {
        if (!target.attribute.required) state.delete(key);
        continue;
      }
      const before = state.get(key);
      state.set(key, op === 'add' && target.attribute.multiValued && Array.isArray(before) ? [...before, ...(value as unknown[])] : value);
      // A new manager.value replaces the previous manager's $ref with it (docs/scim.md).
      if (lower(target.path) === lower(`${ENTERPRISE}:manager.value`)) state.delete(lower(`${ENTERPRISE}:manager.$ref`));
    }
    return state;
  }

  const expectShows = (resource: Resource, targets: readonly Target[], state: Map<string, unknown>, where: string): void => {
    for (const target of targets) {
      const shown = read(resource, target.keys);
      const expected = target.attribute.returned === 'never' ? undefined : state.get(lower(target.path));
      if (expected === undefined) expect(shown, `${where}: ${target.path} is unassigned`).toBeUndefined();
      else expect(shown, `${where}: ${target.path}`).toEqual(expected);
    }
  };

  it('/Schemas advertises the core User, enterprise and Group attributes the tests walk', () => {
    const paths = userTargets().map((t) => t.path);
    expect(paths).toEqual(expect.arrayContaining(['userName', 'active', 'name.givenName', 'emails', 'roles', `${ENTERPRISE}:manager.value`, `${ENTERPRISE}:manager.$ref`]));
    expect(writableTargets(CORE_GROUP, schemas.get(CORE_GROUP) ?? [], true).map((t) => t.path).sort()).toEqual(['displayName', 'members']);
  });

  it('each writable User attribute, once: add or replace shows the value, remove takes it away (required ones refuse)', async () => {
    for (const target of userTargets()) {
      const user = await newUser();
      const initial = new Map<string, unknown>([['username', user.userName], ['active', true]]);
      const [value] = fc.sample(valueFor(target, base), { numRuns: 1, seed: target.path.length });
      const write = { target, op: 'replace' as const, value: target.path === 'userName' ? `renamed.${kind}.${++n}@example.com` : value };
      const written = await patch(`/Users/${user.id}`, { op: 'replace', path: target.path, value: write.value });
      expect(written.status, `${target.path}: ${JSON.stringify(written.body)}`).toBe(200);
      expectShows((await scim.get(`/Users/${user.id}`).expect(200)).body as Resource, [target], model([write], initial), `replace ${target.path}`);
      const removed = await patch(`/Users/${user.id}`, { op: 'remove', path: target.path });
      if (target.attribute.required) expectError(removed, 400);
      else expect(removed.status, `${target.path}: ${JSON.stringify(removed.body)}`).toBe(200);
      expectShows((await scim.get(`/Users/${user.id}`).expect(200)).body as Resource, [target], model([write, { target, op: 'remove', value: undefined }], initial), `remove ${target.path}`);
    }
  });

  it('random sequences of add, replace and remove on User attributes, with and without a path: GET always shows the model', async () => {
    const targets = userTargets().filter((t) => t.path !== 'userName');
    const step = fc
      .constantFrom(...targets)
      .chain((target) =>
        fc.record({ target: fc.constant(target), op: fc.constantFrom('add' as const, 'replace' as const, 'remove' as const), value: valueFor(target, base), isPathless: fc.boolean() }),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        const user = await newUser();
        const initial = new Map<string, unknown>([['username', user.userName], ['active', true]]);
        for (const [index, s] of steps.entries()) {
          const res = await patch(`/Users/${user.id}`, operationOf(s));
          expect(res.status, `${JSON.stringify(operationOf(s))}: ${JSON.stringify(res.body)}`).toBe(200);
          const shown = (await scim.get(`/Users/${user.id}`).expect(200)).body as Resource;
          expectShows(shown, targets, model(steps.slice(0, index + 1), initial), `after step ${index + 1}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('Group membership and displayName: add, replace and remove in any order end as the model says', async () => {
    const pool: string[] = [];
    const userNames = new Map<string, string>();
    for (let i = 0; i < 4; i++) {
      const user = await newUser();
      pool.push(user.id);
      userNames.set(user.id, String(user.userName));
    }
    const ids = fc.subarray(pool, { minLength: 1 });
    // Removal by display (the member's userName) is a filter the store evaluates, in its place among the operations.
    const step = fc.oneof(
      fc.record({ op: fc.constantFrom('add' as const, 'replace' as const), ids, byDisplay: fc.constant(false) }),
      fc.record({ op: fc.constant('remove' as const), ids: fc.option(ids, { nil: undefined }), byDisplay: fc.boolean() }),
      fc.record({ op: fc.constant('rename' as const), ids: fc.constant(undefined), byDisplay: fc.constant(false) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), async (steps) => {
        const displayName = `prop-group-${kind}-${++n}`;
        const group = (await scim.post('/Groups', { schemas: [CORE_GROUP], displayName }).expect(201)).body as Resource;
        let members = new Set<string>();
        let name = displayName;
        const operations = steps.map((s) => {
          if (s.op === 'rename') return { op: 'replace', path: 'displayName', value: (name = `${displayName}-r${++n}`) };
          if (s.op === 'remove') {
            if (s.ids === undefined) members = new Set();
            else for (const id of s.ids) members.delete(id);
            if (s.ids === undefined) return { op: 'remove', path: 'members' };
            const sub = s.byDisplay ? 'display' : 'value';
            const valueOf = (id: string): string => (s.byDisplay ? (userNames.get(id) as string) : id);
            return { op: 'remove', path: `members[${s.ids.map((id) => `${sub} eq "${valueOf(id)}"`).join(' or ')}]` };
          }
          members = s.op === 'replace' ? new Set(s.ids) : new Set([...members, ...s.ids]);
          return { op: s.op, path: 'members', value: s.ids.map((value) => ({ value })) };
        });
        await scim.patch(`/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: operations }).expect(204);
        const shown = (await scim.get(`/Groups/${group.id}`).expect(200)).body as Resource;
        expect(shown.displayName).toBe(name);
        if (members.size === 0) expect(shown).not.toHaveProperty('members');
        else expect(((shown.members ?? []) as { value: string }[]).map((m) => m.value).sort()).toEqual([...members].sort());
        await scim.patch(`/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'displayName' }] }).expect(400);
      }),
      { numRuns: RUNS },
    );
  });

  it('every read-only attribute /Schemas advertises refuses add and replace with mutability, and nothing changes', async () => {
    const paths = [
      ...readOnlyPaths(CORE_USER, schemas.get(CORE_USER) ?? [], true),
      ...readOnlyPaths(ENTERPRISE, schemas.get(ENTERPRISE) ?? [], false),
      ...[...schemas.keys()].filter((id) => id.startsWith('urn:scim-bridge:')).flatMap((id) => readOnlyPaths(id, schemas.get(id) ?? [], false)),
    ];
    expect(paths).toEqual(expect.arrayContaining(['groups', 'groups.value', `${ENTERPRISE}:manager.displayName`]));
    const user = await newUser();
    for (const path of paths) {
      for (const op of ['add', 'replace']) expectError(await patch(`/Users/${user.id}`, { op, path, value: 'forged' }), 400, 'mutability');
    }
    expect(((await scim.get(`/Users/${user.id}`).expect(200)).body as Resource).meta.version).toBe(user.meta.version);
  });
});
