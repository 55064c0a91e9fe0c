import fc from 'fast-check';
import SCIMMY from 'scimmy';
import { describe, expect, it } from 'vitest';
import * as entra from '../../fixtures/entra/requests.js';
import * as okta from '../../fixtures/okta/requests.js';
import { groupBody, userBody } from '../../e2e/fuzz-kit.js';
import { normalizeGroupBody, normalizeUserBody } from '../../../src/scim/quirks.js';
import { coerceGroup, coerceUser, prepareSchemas, scimmyError } from '../../../src/scim/schemas.js';

/**
 * coerceUser and coerceGroup give what scimmy's resource instance gives (`new Schema(body, 'in')`
 * as JSON), without building the instance: the instance is the oracle, byte for byte (key order
 * included, since the stored attributes are rendered in it) and error for error.
 */

prepareSchemas();

type Outcome = { json: string } | { error: string };

const outcome = (run: () => unknown): Outcome => {
  try {
    return { json: JSON.stringify(run()) };
  } catch (err) {
    const mapped = scimmyError(err);
    return { error: `${mapped.code}: ${mapped.message}` };
  }
};

const viaInstance = (schema: typeof SCIMMY.Schemas.User | typeof SCIMMY.Schemas.Group, body: Record<string, unknown>): Outcome => outcome(() => new schema(body, 'in'));

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Bodies whose `urn:` keys (extensions, namespaced attributes) are sometimes spelled in another case: scimmy matches them without case. */
const caseVariants = (bodies: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(bodies, fc.constantFrom('as sent', 'lower', 'upper')).map(([body, spelling]) =>
    spelling === 'as sent'
      ? body
      : Object.fromEntries(Object.entries(body).map(([key, value]) => [key.startsWith('urn:') ? (spelling === 'lower' ? key.toLowerCase() : key.toUpperCase()) : key, value])),
  );

/** A body as the quirks normalise it, or undefined where they refuse it (before any coercion). */
const normalizedOrNot = (normalize: () => Record<string, unknown>): Record<string, unknown> | undefined => {
  try {
    return normalize();
  } catch {
    return undefined;
  }
};

const person = { userName: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace', oktaId: '00u1' };

describe('coercion of a SCIM body', () => {
  it('gives what scimmy\'s resource instance gives for the bodies Okta and Entra send', () => {
    const users = [
      okta.createUser(person),
      okta.putUser('id-1', person, { active: false }),
      okta.createUserWithRoles(person, [{ value: 'admin', display: 'Admin' }]),
      entra.createUser({ userName: 'ada@contoso.com', externalId: 'e1', givenName: 'Ada', familyName: 'Lovelace', department: 'Eng' }),
      entra.createUser({ userName: 'ada@contoso.com', externalId: 'e1', givenName: 'Ada', familyName: 'Lovelace', misspelled: true }),
      entra.createUser({ userName: 'ada@contoso.com', externalId: 'e1', givenName: 'Ada', familyName: 'Lovelace', roles: [entra.appRole('Reader'), entra.complexRole('Writer')] }),
      { ...okta.createUser(person), password: 'secret', [entra.ENTERPRISE]: { manager: { displayName: 'Grace', value: 'm1' }, employeeNumber: '7' } },
      { ...okta.createUser(person), [`${entra.ENTERPRISE}:department`]: 'Eng', [entra.ENTERPRISE]: {} },
      { schemas: [okta.USER_SCHEMA, entra.ENTERPRISE], userName: 'x', [entra.ENTERPRISE]: { department: undefined } },
      { schemas: [okta.GROUP_SCHEMA], userName: 'x' },
      { userName: 'x', emails: 'not a list' },
      // The extension's id in another case: scimmy finds the value, and the instance's setter adds the id to `schemas`.
      { userName: 'x', [entra.ENTERPRISE.toLowerCase()]: { department: 'Eng' } },
      { schemas: [okta.USER_SCHEMA], userName: 'x', [`${entra.ENTERPRISE.toUpperCase()}:department`]: 'Eng' },
      { userName: 'x', [`${entra.ENTERPRISE.toLowerCase()}:manager.value`]: 'm1' },
    ];
    for (const body of users) {
      for (const input of [body, normalizeUserBody(body)]) expect(outcome(() => coerceUser(input))).toEqual(viaInstance(SCIMMY.Schemas.User, input));
    }
    const groups = [
      okta.createGroup('Admins'),
      entra.createGroup('Admins', 'g1'),
      { ...okta.createGroup('Admins'), members: [{ display: 'Ada', value: 'u1' }] },
      { ...okta.createGroup('Admins'), members: [null, { value: 'u1' }] },
      { displayName: 1 },
    ];
    for (const body of groups) {
      for (const input of [body, normalizeGroupBody(body)]) expect(outcome(() => coerceGroup(input))).toEqual(viaInstance(SCIMMY.Schemas.Group, input));
    }
  });

  it('gives what scimmy\'s resource instance gives for any User body, as sent or normalised', () => {
    fc.assert(
      fc.property(caseVariants(userBody.filter(isObject)), (body) => {
        expect(outcome(() => coerceUser(body))).toEqual(viaInstance(SCIMMY.Schemas.User, body));
        const normalized = normalizedOrNot(() => normalizeUserBody(body));
        if (normalized) expect(outcome(() => coerceUser(normalized))).toEqual(viaInstance(SCIMMY.Schemas.User, normalized));
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives what scimmy\'s resource instance gives for any Group body, as sent or normalised', () => {
    fc.assert(
      fc.property(groupBody.filter(isObject), (body) => {
        expect(outcome(() => coerceGroup(body))).toEqual(viaInstance(SCIMMY.Schemas.Group, body));
        const normalized = normalizedOrNot(() => normalizeGroupBody(body));
        if (normalized) expect(outcome(() => coerceGroup(normalized))).toEqual(viaInstance(SCIMMY.Schemas.Group, normalized));
      }),
      { numRuns: 1_000 },
    );
  });
});
