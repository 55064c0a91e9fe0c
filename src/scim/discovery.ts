import { BridgeError } from '../errors.js';
import { MAX_COUNT } from './list-query.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, LIST_RESPONSE, ROLE_SCHEMA, SYNC_SCHEMA, USER_SCHEMA, describeSchemas, roleSchemaDescription } from './schemas.js';

/**
 * Discovery endpoints (RFC 7644 §4) that tell the truth about this server: PATCH, filter (GET
 * and POST .search at the root, /Users and /Groups), sort and ETags are supported; bulk and
 * password change are not. docs/scim.md, the documentationUri, lists it attribute by attribute.
 */

type Json = Record<string, unknown>;

/** How a connection authenticates IdPs, for ServiceProviderConfig. */
export interface AuthSchemes {
  bearer: boolean;
  basic: boolean;
  /** The token endpoint's URL, when the connection has OAuth clients. */
  oauthTokenEndpoint?: string;
}

/** `/ServiceProviderConfig`. */
export function serviceProviderConfig(basepath: string, auth: AuthSchemes): Json {
  const schemes = [
    ...(auth.bearer ? [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'A static bearer token per connection (Authorization: Bearer <token>)', specUri: 'https://www.rfc-editor.org/rfc/rfc6750', primary: true }] : []),
    ...(auth.oauthTokenEndpoint ? [{ type: 'oauthbearertoken', name: 'OAuth 2.0 client credentials', description: `Access tokens from POST ${auth.oauthTokenEndpoint} (grant_type=client_credentials), sent as Authorization: Bearer <token>`, specUri: 'https://www.rfc-editor.org/rfc/rfc6749#section-4.4', primary: !auth.bearer }] : []),
    ...(auth.basic ? [{ type: 'httpbasic', name: 'HTTP Basic', description: 'Username and password (Okta supports this)', specUri: 'https://www.rfc-editor.org/rfc/rfc7617', primary: !auth.bearer && !auth.oauthTokenEndpoint }] : []),
  ];
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://github.com/scim-bridge/scim-bridge/blob/main/docs/scim.md',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: schemes,
    meta: { resourceType: 'ServiceProviderConfig', location: `${basepath}/ServiceProviderConfig` },
  };
}

/** All resource types; `hasRoles` when the connection's target has roles to publish (`/Roles`). */
export function resourceTypes(basepath: string, hasRoles = false): Json[] {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: [
        { schema: ENTERPRISE_SCHEMA, required: false },
        { schema: SYNC_SCHEMA, required: false },
      ],
      meta: { resourceType: 'ResourceType', location: `${basepath}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: GROUP_SCHEMA,
      schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: `${basepath}/ResourceTypes/Group` },
    },
    ...(hasRoles ? [roleResourceType(basepath)] : []),
  ];
}

// Okta reads id, name (shown on the app's Governance tab), endpoint and schema (Okta's "Build a SCIM 2.0 server with entitlements").
function roleResourceType(basepath: string): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'Role',
    name: 'Role',
    endpoint: '/Roles',
    description: "The target application's roles (read-only)",
    schema: ROLE_SCHEMA,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType', location: `${basepath}/ResourceTypes/Role` },
  };
}

/** A ListResponse of everything (discovery lists are small and unpaged). */
export function listOf(resources: Json[]): Json {
  return { schemas: [LIST_RESPONSE], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}

/** One item by id (case-insensitive), or NOT_FOUND. */
export function findById(resources: Json[], id: string, what: string): Json {
  const found = resources.find((r) => typeof r.id === 'string' && r.id.toLowerCase() === id.toLowerCase());
  if (!found) throw new BridgeError('NOT_FOUND', `${what} "${id.slice(0, 200)}" not found`);
  return found;
}

/** How many basepaths (one per connection and host name) keep their described schemas. */
const DESCRIBED_BASEPATHS = 64;
const described = new Map<string, Json[]>();

/**
 * `/Schemas`, with the Role schema when the connection publishes roles, described once per
 * basepath (the schemas are fixed at start; only their locations differ) and frozen, since every
 * request then shares them. The basepath can come from the Host header, so at most
 * {@link DESCRIBED_BASEPATHS} are kept.
 */
export function schemas(basepath: string, hasRoles = false): Json[] {
  const key = `${hasRoles ? 'roles' : 'plain'} ${basepath}`;
  const known = described.get(key);
  if (known) return known;
  const all = [...describeSchemas(basepath), ...(hasRoles ? [roleSchemaDescription(`${basepath}/Schemas`)] : [])];
  // A copy of its own: scimmy's descriptions may share arrays with its definitions, which must not be frozen.
  const fresh = deepFreeze(JSON.parse(JSON.stringify(all)) as Json[]);
  if (described.size >= DESCRIBED_BASEPATHS) described.delete(described.keys().next().value as string);
  described.set(key, fresh);
  return fresh;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
