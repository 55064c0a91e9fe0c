import fc from 'fast-check';
import { expect } from 'vitest';
import type { Response } from 'supertest';
import { ENTERPRISE, MISSPELLED_ENTERPRISE } from '../fixtures/entra/requests.js';
import * as okta from '../fixtures/okta/requests.js';
import type { Store } from '../../src/directory/store.js';
import type { ScimClient, TestBridge } from '../helpers/bridge.js';
import { ERROR_SCHEMA, SYNC_SCHEMA } from './scim-assert.js';

/** Arbitraries and invariants for the SCIM fuzz tests (issue 5, "Security and bad input"). */

/** Runs per property: bounded so each file stays well under a minute. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** Strings that have broken parsers, drivers and databases before. */
const nasty = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\u202e', '𝒜𝓁𝒾𝒸ℯ', 'ß', 'İ', '\n', '\\', '"', "'", '%', '%00', '%E0%A4%A', '../..', 'null', 'True', 'False',
  '1e400', '-0', '00012', '9007199254740993', 'NaN', '2024-01-01T00:00:00Z', '2024-13-45', 'x'.repeat(600), '$', '$ref', 'urn:', ':', '.', '[', ']', '()', "'; DROP TABLE users; --",
  ENTERPRISE, MISSPELLED_ENTERPRISE, SYNC_SCHEMA, 'urn:ietf:params:scim:schemas:core:2.0:User',
);

/** Any string: full Unicode (lone surrogates, NUL) or one of the nasty ones. */
export const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ maxLength: 30 }), nasty);

/** Any JSON scalar. */
export const scalar = fc.oneof(anyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt().map(String));

/** Any JSON value, shallow, with nasty strings. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 2, arbitrary: fc.dictionary(anyString, scalar, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }) },
);

const multiValued = fc.oneof(anyJson, fc.array(fc.dictionary(fc.constantFrom('value', 'type', 'primary', 'display', '$ref', 'Value', 'TYPE'), scalar, { maxKeys: 4 }), { maxLength: 3 }));

const userKeys = [
  'schemas', 'userName', 'USERNAME', 'name', 'emails', 'active', 'externalId', 'displayName', 'title', 'roles', 'groups', 'meta', 'id', 'password', 'phoneNumbers',
  'addresses', 'locale', 'timezone', 'profileUrl', 'entitlements', 'x509Certificates', 'name.givenName', ENTERPRISE, MISSPELLED_ENTERPRISE, SYNC_SCHEMA, `${ENTERPRISE}:department`,
];

/** A User body: mostly an Okta create with a few attributes replaced by anything, sometimes anything at all. */
export const userBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.dictionary(fc.constantFrom(...userKeys), fc.oneof(anyJson, multiValued), { maxKeys: 3 }), fc.nat(1_000_000))
      .map(([changes, n]) => ({ ...okta.createUser({ userName: `fuzz${n}@example.com`, givenName: 'F', familyName: 'Z', oktaId: `00ufuzz${n}` }), ...changes })),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...userKeys), anyJson, { maxKeys: 6 }) },
  { weight: 1, arbitrary: anyJson },
);

/** A Group body, in the same spirit. */
export const groupBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.dictionary(fc.constantFrom('schemas', 'displayName', 'members', 'externalId', 'id', 'meta', 'DISPLAYNAME', 'owner'), fc.oneof(anyJson, multiValued), { maxKeys: 3 }), fc.nat(1_000_000))
      .map(([changes, n]) => ({ ...okta.createGroup(`fuzz group ${n}`), ...changes })),
  },
  { weight: 1, arbitrary: anyJson },
);

const attributes = [
  'userName', 'USERNAME', 'name.givenName', 'name', 'emails', 'emails.value', 'emails.type', 'emails.primary', 'emails.display', 'active', 'externalId', 'id', 'meta.created',
  'meta.lastModified', 'meta.version', 'meta', 'title', 'nickName', 'roles', 'roles.value', 'groups', 'groups.display', 'members', 'members.value', 'members.display', 'displayName',
  'manager', 'manager.value', `${ENTERPRISE}:department`, `${ENTERPRISE}:manager.value`, `${ENTERPRISE}:manager`, 'urn:x:y:z', 'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'x', '$ref', 'a.b.c', 'addresses.postalCode', 'x509Certificates.value', 'phoneNumbers', 'department', 'employeeNumber', 'a-b', '_x', 'urn:a.b"c:d', 'urn:a\\b:c', "urn:a'b:c",
];
const attribute = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...attributes) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
const operator = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'Pr', 'xx');
const literal = fc.oneof(
  anyString.map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.constantFrom('true', 'false', 'null', 'TRUE', 'jyoung', '00012', '1e400', '-0', '1.5', '"2024-01-01T00:00:00Z"', '"2024-01-01"', '"unterminated', '"\\u0000"', '"\\ud800"', '9007199254740993'),
);

/** SCIM filters from the grammar (RFC 7644 §3.4.2.2), with nasty attributes and values, and sometimes raw text. */
export const filterText: fc.Arbitrary<string> = fc.letrec<{ filter: string; leaf: string }>((tie) => ({
  leaf: fc.oneof(
    { weight: 4, arbitrary: fc.tuple(attribute, operator, literal).map(([a, o, v]) => (o.toLowerCase() === 'pr' ? `${a} pr` : `${a} ${o} ${v}`)) },
    { weight: 1, arbitrary: fc.tuple(attribute, tie('filter'), fc.option(fc.constantFrom('value', 'type', 'x'))).map(([a, f, s]) => `${a}[${f}]${s === null ? '' : `.${s} eq "x"`}`) },
  ),
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND'), tie('filter')).map(([l, j, r]) => `${l} ${j} ${r}`),
    tie('filter').map((f) => `not (${f})`),
    tie('filter').map((f) => `(${f})`),
    fc.string({ unit: 'binary', maxLength: 40 }),
  ),
})).filter;

/** PATCH paths: valid ones, value-filtered ones, and junk. */
export const patchPath = fc.oneof(
  fc.constantFrom(
    'active', 'userName', 'name.givenName', 'name', 'emails', 'emails[type eq "work"].value', 'emails[type eq "work"]', 'emails[value sw "a"].type', 'members', 'members[value eq "x"]',
    'displayName', 'externalId', `${ENTERPRISE}:manager`, `${ENTERPRISE}:department`, `${ENTERPRISE}:manager.value`, 'roles', 'roles[value eq "a"].display', 'phoneNumbers[type eq "mobile"].value',
    'addresses[type eq "work"].streetAddress', 'id', 'meta', 'meta.version', 'groups', 'schemas', 'title', 'nickName', 'x', 'urn:x:y', `${SYNC_SCHEMA}:state`, 'emails[not (type eq "x")].value',
    'members[display co "a"]', 'members[value pr]', 'emails.value', 'name.x.y', '[]', 'a[b]', 'emails[type eq "work"].', 'members[value eq "x"].display',
  ),
  fc.tuple(attribute, filterText, fc.option(attribute)).map(([a, f, s]) => `${a}[${f}]${s === null ? '' : `.${s}`}`),
  anyString,
);

const operation = fc.record({
  op: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('add', 'remove', 'replace', 'Add', 'Remove', 'Replace', 'ADD') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('move', 'test', ''), anyString, fc.integer()) }),
  path: fc.oneof({ weight: 6, arbitrary: patchPath }, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: anyJson }),
  value: fc.oneof({ weight: 6, arbitrary: fc.oneof(anyJson, multiValued) }, { weight: 1, arbitrary: fc.constant(undefined) }),
});

/** A PatchOp body, or anything. */
export const patchBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ schemas: fc.constant([okta.PATCH_OP]), Operations: fc.array(operation, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ schemas: anyJson, Operations: anyJson, operations: fc.array(operation, { maxLength: 2 }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyJson },
);

/** Asserts the invariants of any SCIM answer: no 5xx (but 501 where allowed), an RFC 7644 error body on 4xx. */
export function expectSane(res: Response, context: unknown, allow501 = false): void {
  const where = JSON.stringify(context).slice(0, 600);
  expect(res.status, `${res.status} ${JSON.stringify(res.body)} for ${where}`).toBeLessThan(allow501 && res.status === 501 ? 502 : 500);
  if (res.status >= 400) {
    expect(res.headers['content-type'], where).toMatch(/^application\/scim\+json/);
    expect(res.body.schemas, where).toContain(ERROR_SCHEMA);
    expect(res.body.status, where).toBe(String(res.status));
    expect(typeof res.body.detail, where).toBe('string');
  }
}

/** Every user and group of a connection, read from the store (cheaper than through SCIM, and exact). */
async function directoryOf(store: Store, connection: string): Promise<unknown> {
  const users = await store.listUsers(connection, { startIndex: 1, count: 1000 });
  const groups = await store.listGroups(connection, { startIndex: 1, count: 1000 }, { members: true });
  return { users: users.records, groups: groups.records };
}

/** The directory as last seen; rejected requests must leave it exactly so. */
export class DirectoryWatch {
  private last: unknown;
  constructor(
    private readonly tb: TestBridge,
    private readonly connection = 'redis-enterprise',
  ) {}

  async refresh(): Promise<void> {
    this.last = await directoryOf(this.tb.store, this.connection);
  }

  /** After a rejected request: nothing changed. After an accepted one: drop what it created, and look again. */
  async after(res: Response, context: unknown): Promise<void> {
    if (res.status >= 400) {
      expect(await directoryOf(this.tb.store, this.connection), `directory changed by a rejected ${JSON.stringify(context).slice(0, 400)}`).toEqual(this.last);
      return;
    }
    const created = res.status === 201 ? (res.body as { id?: string; meta?: { resourceType?: string } }) : undefined;
    if (created?.id) await this.tb.scim('redis-enterprise').delete(`/${created.meta?.resourceType === 'Group' ? 'Groups' : 'Users'}/${created.id}`).expect(204);
    await this.refresh();
  }
}

/** Seeds a small directory: a victim user to patch and put, two more users, and a group with members. */
export async function seedDirectory(tb: TestBridge): Promise<{ scim: ScimClient; userId: string; groupId: string; userIds: string[] }> {
  const scim = tb.scim('redis-enterprise');
  const userIds: string[] = [];
  for (const name of ['victim', 'bystander', 'member']) {
    const res = await scim.post('/Users', okta.createUser({ userName: `${name}@example.com`, givenName: name, familyName: 'Seed', oktaId: `00u${name}` })).expect(201);
    userIds.push(res.body.id as string);
  }
  const group = await scim.post('/Groups', { displayName: 'Seeded', members: userIds.slice(1).map((value) => ({ value })) }).expect(201);
  return { scim, userId: userIds[0] as string, groupId: group.body.id as string, userIds };
}
