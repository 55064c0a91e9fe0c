import { BridgeError } from '../../errors.js';
import type { AttrPath } from '../../filter/index.js';

/**
 * The SCIM attributes the directory knows by name (RFC 7643 §4.1, §4.2, §4.3), so that a filter
 * written `USERNAME`, `emails.VALUE` or `urn:ietf:params:scim:schemas:core:2.0:User:userName`
 * finds the attribute as stored: stored SCIM JSON uses these canonical spellings, with the
 * enterprise extension under its URN key. Unknown attributes keep the client's spelling.
 */

/** Core User schema URN. */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** Core Group schema URN. */
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
/** Enterprise User extension URN (RFC 7643 §4.3). */
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The resource a filter applies to. */
export type ResourceKind = 'User' | 'Group';

/** What the directory knows about one attribute. */
export interface AttrDef {
  name: string;
  /** Multi-valued: filters match when some element matches. */
  isMultiValued?: boolean;
  /** Known sub-attributes, canonical spelling. */
  subs?: readonly string[];
  /** The sub-attribute a comparison without one means (`roles eq "x"` is `roles.value eq "x"`). */
  defaultSub?: string;
  type?: 'boolean' | 'dateTime';
  /** RFC 7643 caseExact (ids and references); other strings compare case-insensitively. */
  isCaseExact?: boolean;
}

const multiSubs = ['value', 'display', 'type', 'primary', '$ref'] as const;
const multi = (name: string, extra: readonly string[] = []): AttrDef => ({
  name,
  isMultiValued: true,
  subs: [...multiSubs, ...extra],
  defaultSub: 'value',
});
const str = (name: string, isCaseExact = false): AttrDef => ({ name, ...(isCaseExact ? { isCaseExact } : {}) });
const meta: AttrDef = { name: 'meta', subs: ['created', 'lastModified', 'resourceType', 'location', 'version'] };

const userCore: readonly AttrDef[] = [
  str('id', true),
  str('externalId', true),
  meta,
  str('userName'),
  { name: 'name', subs: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'] },
  ...['displayName', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'].map((n) => str(n)),
  str('profileUrl', true),
  { name: 'active', type: 'boolean' },
  ...['emails', 'phoneNumbers', 'ims', 'photos', 'groups', 'entitlements', 'roles', 'x509Certificates'].map((n) => multi(n)),
  multi('addresses', ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country']),
];

const enterprise: readonly AttrDef[] = [
  ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => str(n)),
  { name: 'manager', subs: ['value', '$ref', 'displayName'], defaultSub: 'value' },
];

const groupCore: readonly AttrDef[] = [str('id', true), str('externalId', true), meta, str('displayName'), multi('members')];

/** A filter or sort path resolved to the stored attribute. */
export interface CanonicalAttr {
  /** The extension URN the attribute is stored under in `attributes`; absent for core attributes. */
  extension?: string;
  /** Canonical name (the client's spelling when unknown). */
  name: string;
  /** Canonical sub-attribute name, when the path has one. */
  sub?: string;
  /** Undefined for attributes the directory does not know (read from `attributes` as spelled). */
  def?: AttrDef;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const find = (defs: readonly AttrDef[], name: string): AttrDef | undefined => defs.find((d) => same(d.name, name));

/** The canonical spelling of a sub-attribute of `def` (the given spelling when unknown). */
export function canonicalSub(def: AttrDef | undefined, sub: string): string {
  return def?.subs?.find((s) => same(s, sub)) ?? sub;
}

/** Resolves a path of a User or Group filter to the attribute as stored. */
export function canonicalAttr(resource: ResourceKind, path: AttrPath): CanonicalAttr {
  const core = resource === 'User' ? userCore : groupCore;
  const coreUrn = resource === 'User' ? CORE_USER : CORE_GROUP;
  let extension: string | undefined;
  let def: AttrDef | undefined;
  if (path.schema === undefined || same(path.schema, coreUrn)) {
    def = find(core, path.attr);
    // Enterprise attribute names are unique, so `department` alone means the extension's.
    if (def === undefined && resource === 'User' && find(enterprise, path.attr)) {
      extension = ENTERPRISE_USER;
      def = find(enterprise, path.attr);
    }
  } else if (resource === 'User' && same(path.schema, ENTERPRISE_USER)) {
    extension = ENTERPRISE_USER;
    def = find(enterprise, path.attr);
  } else {
    extension = path.schema;
  }
  const name = def?.name ?? path.attr;
  const sub = path.sub === undefined ? undefined : canonicalSub(def, path.sub);
  return { ...(extension !== undefined ? { extension } : {}), name, ...(sub !== undefined ? { sub } : {}), ...(def ? { def } : {}) };
}

/** The key path of an attribute inside the stored SCIM JSON (`["name","givenName"]`, `[urn, "department"]`). */
export function jsonKeyPath(attr: CanonicalAttr): string[] {
  return [...(attr.extension !== undefined ? [attr.extension] : []), attr.name, ...(attr.sub !== undefined ? [attr.sub] : [])];
}

/** The type of a sub-attribute of a multi-valued or complex attribute. */
export function subType(sub: string): 'boolean' | 'string' {
  return sub === 'primary' ? 'boolean' : 'string';
}

/** Whether a sub-attribute compares case-exactly (references). */
export function isSubCaseExact(sub: string): boolean {
  return sub === '$ref';
}

/** An INVALID_FILTER error. */
export function invalidFilter(message: string): BridgeError {
  return new BridgeError('INVALID_FILTER', message);
}
