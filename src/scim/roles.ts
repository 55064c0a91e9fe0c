import { BridgeError } from '../errors.js';
import { matches } from '../filter/index.js';
import { parseListRequest } from './list-query.js';
import { parseProjection, project } from './projection.js';
import { ROLE_SCHEMA } from './schemas.js';
import { listResponse, type ScimResult, type ScimScope } from './scope.js';

/**
 * `/Roles`: the roles of the connection's target, read-only, for an IdP to discover and assign
 * (Okta Identity Governance reads every endpoint whose ResourceType names Okta's Role schema,
 * Okta's "Build a SCIM 2.0 server with entitlements"). The roles come from a {@link RoleSource}
 * the composition root hands in: this layer never reaches a target, and a request is answered
 * from what the source holds.
 */

export { ROLE_SCHEMA };

/** One role as published; `id` is the value a mapping file and a user's `roles[].value` use. */
export interface PublishedRole {
  id: string;
  displayName: string;
  description?: string;
}

/** The roles of one connection's target, highest first, and when they were read (epoch ms). */
export interface RoleSnapshot {
  roles: readonly PublishedRole[];
  readAt: number;
}

/** Where `/Roles` gets its roles: a cache kept by the sync layer (src/sync/role-catalog.ts). */
export interface RoleSource {
  /** The roles as held now; reads the target only when nothing was read yet. */
  snapshot(): Promise<RoleSnapshot>;
}

type Query = Record<string, unknown>;

function render(role: PublishedRole, readAt: number, basepath: string): Record<string, unknown> {
  return {
    schemas: [ROLE_SCHEMA],
    id: role.id,
    displayName: role.displayName,
    ...(role.description !== undefined ? { description: role.description } : {}),
    meta: { resourceType: 'Role', lastModified: new Date(readAt).toISOString(), location: `${basepath}/Roles/${encodeURIComponent(role.id)}` },
  };
}

/** GET /Roles: filter, startIndex and count as for /Users (RFC 7644 §3.4.2), in the target's order unless sorted. */
export async function listRoles(scope: ScimScope, source: RoleSource, query: Query): Promise<ScimResult> {
  const { query: list, projection } = parseListRequest(query);
  const { roles, readAt } = await source.snapshot();
  let resources = roles.map((role) => render(role, readAt, scope.basepath));
  if (list.filter) {
    const filter = list.filter;
    resources = resources.filter((resource) => matches(filter, resource));
  }
  if (list.sort) {
    const key = list.sort.by.attr.toLowerCase();
    const text = (r: Record<string, unknown>): string => String(Object.entries(r).find(([k]) => k.toLowerCase() === key)?.[1] ?? '');
    const direction = list.sort.descending ? -1 : 1;
    resources = [...resources].sort((a, b) => direction * text(a).localeCompare(text(b)));
  }
  const page = resources.slice(list.startIndex - 1, list.startIndex - 1 + list.count).map((r) => project(r, projection));
  return { status: 200, body: listResponse(resources.length, list.startIndex, page) };
}

/** GET /Roles/{id}: the id exactly as listed (compared case-insensitively, as mapping files do). */
export async function getRole(scope: ScimScope, source: RoleSource, id: string, query: Query): Promise<ScimResult> {
  const { roles, readAt } = await source.snapshot();
  const role = roles.find((r) => r.id.toLowerCase() === id.toLowerCase());
  if (!role) throw new BridgeError('NOT_FOUND', `Role ${id.slice(0, 100)} not found`);
  return { status: 200, body: project(render(role, readAt, scope.basepath), parseProjection(query.attributes, query.excludedAttributes)) };
}

/** POST, PUT, PATCH and DELETE on /Roles: the roles are the target's own, changed there. */
export function refuseRoleWrite(): never {
  throw new BridgeError('METHOD_NOT_ALLOWED', "/Roles is read-only: roles are the target's own; create or change them in the target");
}
