import SCIMMY from 'scimmy';
import { BridgeError } from '../errors.js';

/**
 * scimmy, configured once for the whole process: the core User and Group schemas plus the
 * enterprise extension. Nothing per request or per connection is stored in scimmy; every call
 * passes its basepath explicitly, so concurrent requests to two connections cannot mix.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** scimmy only accepts `urn:ietf:params:scim:schemas:` ids, so this read-only extension is described by hand. */
export const SYNC_SCHEMA = 'urn:scim-bridge:schemas:extension:sync:1.0:User';
/** Okta's role URN, which Okta matches to find the roles endpoint (Okta's "Build a SCIM 2.0 server with entitlements"). */
export const ROLE_SCHEMA = 'urn:okta:scim:schemas:core:1.0:Role';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

type SchemaDefinition = InstanceType<typeof SCIMMY.Types.SchemaDefinition>;
type Attribute = InstanceType<typeof SCIMMY.Types.Attribute>;

let configured = false;

/** Extends scimmy's User schema with the enterprise extension and relaxes `type` canonical values, once. */
export function configureScimmy(): void {
  if (configured) return;
  configured = true;
  // The typings say Schema instance; at run time scimmy takes the schema class (types.js Schema.extend).
  SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser as unknown as InstanceType<typeof SCIMMY.Types.Schema>, false);
  // RFC 7643 §2.3.1: canonical values are suggestions. Entra sends roles[].type
  // "WindowsAzureActiveDirectoryRole" (Microsoft Learn, provisioning a role to a SCIM app), which scimmy would reject.
  relaxCanonicalTypes(SCIMMY.Schemas.User.definition);
}

function relaxCanonicalTypes(definition: SchemaDefinition): void {
  const visit = (attribute: Attribute | SchemaDefinition): void => {
    const children = (attribute as { subAttributes?: Attribute[]; attributes?: (Attribute | SchemaDefinition)[] });
    for (const child of children.subAttributes ?? children.attributes ?? []) {
      const config = (child as Attribute).config as { canonicalValues?: unknown } | undefined;
      if ((child as Attribute).name === 'type' && config && Array.isArray(config.canonicalValues)) config.canonicalValues = false;
      visit(child);
    }
  };
  visit(definition);
}

/** Configures scimmy and derives what PATCH checks from its schemas: called once at start, so no request pays for it. */
export function prepareSchemas(): void {
  configureScimmy();
  readOnlyUserPaths();
}

/** Validates and normalises a User body with scimmy (types, required, attribute-name case). */
export function coerceUser(body: Record<string, unknown>): Record<string, unknown> {
  configureScimmy();
  return coerce(SCIMMY.Schemas.User, body);
}

/** Validates and normalises a Group body with scimmy. */
export function coerceGroup(body: Record<string, unknown>): Record<string, unknown> {
  configureScimmy();
  return coerce(SCIMMY.Schemas.Group, body);
}

type SchemaClass = typeof SCIMMY.Schemas.User | typeof SCIMMY.Schemas.Group;

/**
 * What `new schema(body, 'in')` gives as JSON, without the instance. scimmy's constructor checks
 * the body's `schemas`, coerces the body through the definition, then assigns the result to the
 * instance, whose setters (a pair defined per attribute, per instance) coerce every attribute
 * again; an extension without a value is dropped with its id in `schemas`, one with a value has
 * its id added there; the JSON leaves out attributes never returned (`password`). For an Okta
 * create with the enterprise extension, the instance took about 150 of the 235 µs of the body's
 * coercion. Here the same steps run on plain objects: the check, the definition's coercion once,
 * the extensions' ids, the same values left out, and each complex value's sub-attributes put in
 * the schema's order, which the setters' second coercion gave. test/unit/scim/coerce.test.ts
 * holds the result to the instance's (of the scimmy installed) byte for byte and error for
 * error, so an upgrade of scimmy that changes the instance turns it red.
 */
function coerce(schema: SchemaClass, body: Record<string, unknown>): Record<string, unknown> {
  try {
    const definition = schema.definition;
    checkSchemas(definition, body.schemas);
    const once = definition.coerce(body, 'in') as Record<string, unknown>;
    const shape = shapeOf(definition);
    for (const extension of shape.extensions) {
      const value = once[extension.id];
      if (value === undefined) continue;
      const schemas = once.schemas as string[];
      if (!hasActualValues(value as object)) {
        delete once[extension.id];
        once.schemas = schemas.filter((id) => id !== extension.id);
      } else if (!schemas.includes(extension.id)) {
        // Found under a key in another case (scimmy matches those without case), but `schemas` is built by exact match.
        once.schemas = [...schemas, extension.id];
      }
    }
    // The enterprise extension has no such attribute; the core User has `password`.
    for (const name of shape.neverReturned) delete once[name];
    const coerced = JSON.parse(JSON.stringify(once)) as Record<string, unknown>;
    inSchemaOrder(shape, coerced);
    for (const extension of shape.extensions) {
      const value = coerced[extension.id];
      if (isPlainObject(value)) inSchemaOrder(shapeOf(extension), value);
    }
    return coerced;
  } catch (err) {
    throw scimmyError(err);
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Puts the sub-attributes of each complex value of `target` (the attributes of one definition) in the
 * schema's order, in place. scimmy's coercion keeps a body's order; the instance's setters coerce
 * each value a second time, which gives the schema's order, and stored attributes are rendered in it.
 */
function inSchemaOrder(shape: Shape, target: Record<string, unknown>): void {
  for (const [name, subAttributes] of shape.complex) {
    const value = target[name];
    // An item is an object or, where the body had null, null (the coercion refuses the rest).
    if (Array.isArray(value)) target[name] = value.map((item: unknown) => (isPlainObject(item) ? reorder(item, subAttributes) : item));
    else if (isPlainObject(value)) target[name] = reorder(value, subAttributes);
  }
}

function reorder(value: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const name of names) if (Object.hasOwn(value, name)) ordered[name] = value[name];
  return ordered;
}

/** What the coercion needs to know of a definition's attributes, read from it once. */
interface Shape {
  extensions: readonly SchemaDefinition[];
  /** Attributes (extensions aside) whose `returned` is never: scimmy's JSON leaves them out. */
  neverReturned: readonly string[];
  /** Complex attributes, each with its sub-attributes' names in the schema's order. */
  complex: readonly (readonly [string, readonly string[]])[];
}

const shapes = new WeakMap<SchemaDefinition, Shape>();

function shapeOf(definition: SchemaDefinition): Shape {
  let shape = shapes.get(definition);
  if (!shape) {
    const all = definition.attributes as unknown[];
    const attributes = all.filter((a): a is Attribute => a instanceof SCIMMY.Types.Attribute);
    shape = {
      extensions: all.filter((a): a is SchemaDefinition => a instanceof SCIMMY.Types.SchemaDefinition),
      neverReturned: attributes.filter((a) => [false, 'never'].includes(a.config.returned as string | boolean)).map((a) => a.name),
      complex: attributes.filter((a) => String(a.type) === 'complex').map((a) => [a.name, (a.subAttributes ?? []).map((sub) => sub.name)] as const),
    };
    shapes.set(definition, shape);
  }
  return shape;
}

/** scimmy's test of a value that counts as set: some leaf, however deep, is not undefined. */
function hasActualValues(value: object): boolean {
  return Object.values(value).some((v: unknown) => (typeof v === 'object' ? hasActualValues(v as object) : v !== undefined));
}

/**
 * scimmy's Schema constructor's check of `schemas`: a body that names schemas names this one. It
 * also checks that required extensions are named; no extension is required here (configureScimmy).
 */
function checkSchemas(definition: SchemaDefinition, schemas: unknown): void {
  if (Array.isArray(schemas) && schemas.length > 0 && !schemas.includes(definition.id)) {
    throw new SCIMMY.Types.Error(400, 'invalidSyntax', 'The request body supplied a schema type that is incompatible with this resource');
  }
}

// What the JavaScript engine says when scimmy trips over a value it did not expect (V8's TypeError
// and RangeError texts): true, but about scimmy's internals, never about the request.
const engineMessage = /Cannot (convert undefined or null|read propert|set propert|add property|assign to read only|define property|delete property|create property)|is not (extensible|a function|iterable)|Converting circular structure|Maximum call stack/;

/**
 * Turns what scimmy throws (its SCIMError, or a TypeError from coercion) into a BridgeError.
 * scimmy's own messages say what is wrong with the value and are kept; an engine error from
 * inside scimmy becomes `what` in our words, with the original kept as the cause for the logs.
 */
export function scimmyError(err: unknown, what = 'the request'): BridgeError {
  if (err instanceof BridgeError) return err;
  const scimType = (err as { scimType?: unknown }).scimType;
  const message = err instanceof Error ? err.message : String(err);
  const code =
    scimType === 'invalidPath' ? 'INVALID_PATH'
    : scimType === 'noTarget' ? 'NO_TARGET'
    : scimType === 'invalidSyntax' ? 'INVALID_SYNTAX'
    : scimType === 'invalidFilter' ? 'INVALID_FILTER'
    : scimType === 'mutability' ? 'MUTABILITY'
    : 'INVALID_VALUE';
  if (engineMessage.test(message)) {
    return new BridgeError(code, `${what} does not fit the schema of the resource (see /Schemas)`, { cause: err });
  }
  return new BridgeError(code, message, { cause: err });
}

/** The scimmy User schema class (for PATCH). */
export function userSchemaClass(): typeof SCIMMY.Schemas.User {
  configureScimmy();
  return SCIMMY.Schemas.User;
}

let readOnlyUser: ReadonlySet<string> | undefined;

/**
 * The User attributes `/Schemas` marks readOnly (RFC 7643 §2.2), lower-cased as PATCH paths
 * name them: `groups`, `groups.value`, `urn:...:enterprise:2.0:user:manager.displayname`.
 * Derived from the same definitions `/Schemas` describes, so the two cannot disagree.
 */
export function readOnlyUserPaths(): ReadonlySet<string> {
  if (readOnlyUser) return readOnlyUser;
  configureScimmy();
  const paths = new Set<string>(['id', 'meta']);
  const described = JSON.parse(JSON.stringify([SCIMMY.Schemas.User.definition.describe(''), SCIMMY.Schemas.EnterpriseUser.definition.describe('')])) as {
    id: string;
    attributes: { name: string; mutability: string; subAttributes?: { name: string; mutability: string }[] }[];
  }[];
  for (const schema of described) {
    const prefix = schema.id === USER_SCHEMA ? '' : `${schema.id}:`;
    for (const attribute of schema.attributes) {
      const name = `${prefix}${attribute.name}`;
      if (attribute.mutability === 'readOnly') paths.add(name.toLowerCase());
      for (const sub of attribute.subAttributes ?? []) {
        if (attribute.mutability === 'readOnly' || sub.mutability === 'readOnly') paths.add(`${name}.${sub.name}`.toLowerCase());
      }
    }
  }
  readOnlyUser = paths;
  return paths;
}

/** The `/Schemas` resources, located under `basepath` (`https://host/scim/v2/<connection>`). */
export function describeSchemas(basepath: string): Record<string, unknown>[] {
  configureScimmy();
  const schemasPath = `${basepath}/Schemas`;
  const described = [
    SCIMMY.Schemas.User.definition.describe(schemasPath),
    SCIMMY.Schemas.EnterpriseUser.definition.describe(schemasPath),
    SCIMMY.Schemas.Group.definition.describe(schemasPath),
  ] as unknown as Record<string, unknown>[];
  return [...described, syncSchemaDescription(schemasPath)];
}

const readOnly = (name: string, type: string, description: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name, type, multiValued: false, description, required: false, caseExact: false, mutability: 'readOnly', returned: 'default', uniqueness: 'none', ...extra,
});

/** The Role schema (Okta's URN; attribute names as the IETF SCIM Roles and Entitlements draft): every attribute read-only. */
export function roleSchemaDescription(schemasPath: string): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: ROLE_SCHEMA,
    name: 'Role',
    description: "A role of the target application, for an IdP to assign in a user's roles[].value (read-only)",
    attributes: [
      readOnly('displayName', 'string', 'The role as the target names it', { required: true }),
      readOnly('description', 'string', 'What the role grants, where the target says'),
    ],
    meta: { resourceType: 'Schema', location: `${schemasPath}/${ROLE_SCHEMA}` },
  };
}

function syncSchemaDescription(schemasPath: string): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: SYNC_SCHEMA,
    name: 'SyncState',
    description: 'What scim-bridge did in the target application for this user (read-only).',
    attributes: [
      readOnly('state', 'string', 'pending, synced, failed, unsupported or held', { canonicalValues: ['pending', 'synced', 'failed', 'unsupported', 'held'] }),
      readOnly('targetId', 'string', 'The account id in the target application'),
      readOnly('accountStatus', 'string', 'active, invited, disabled or absent in the target', { canonicalValues: ['active', 'invited', 'disabled', 'absent'] }),
      readOnly('effectiveRole', 'string', 'The role the account has in the target'),
      readOnly('lastError', 'complex', 'Why the last attempt failed', {
        subAttributes: [readOnly('code', 'string', 'Stable error code'), readOnly('message', 'string', 'What went wrong')],
      }),
      readOnly('lastSyncAt', 'dateTime', 'When the target was last converged'),
      readOnly('warnings', 'string', 'What the last run ignored, e.g. an assigned role the target does not have', { multiValued: true }),
    ],
    meta: { resourceType: 'Schema', location: `${schemasPath}/${SYNC_SCHEMA}` },
  };
}
