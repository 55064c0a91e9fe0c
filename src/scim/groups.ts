import { BridgeError } from '../errors.js';
import type { GroupRecord } from '../directory/model.js';
import { groupChangeFromPatch } from './group-patch.js';
import { parseListRequest, type ListRequest } from './list-query.js';
import { parseProjection, project, wantsMembers, type Projection } from './projection.js';
import { normalizePatchOperations } from './quirks.js';
import { etagOf, groupInputFromBody, renderGroup, versionFromIfMatch } from './resources.js';
import { listResponse, type ScimResult, type ScimScope } from './scope.js';

/** SCIM /Groups operations for one connection. */

type Query = Record<string, unknown>;

function single(scope: ScimScope, record: GroupRecord, status: number, projection: Projection = {}): ScimResult {
  return {
    status,
    body: project(renderGroup(record, scope.basepath), projection),
    etag: etagOf(record.version),
    location: `${scope.basepath}/Groups/${record.id}`,
  };
}

const writeOptions = (ifMatch: string | undefined): { ifVersion?: number } => {
  const ifVersion = versionFromIfMatch(ifMatch);
  return ifVersion === undefined ? {} : { ifVersion };
};

/** One page of groups, rendered and projected (members loaded only when the projection wants them). */
export async function groupPage(scope: ScimScope, request: ListRequest): Promise<{ totalResults: number; resources: Record<string, unknown>[] }> {
  const page = await scope.directory.listGroups(scope.connection, request.query, { members: wantsMembers(request.projection) });
  return { totalResults: page.totalResults, resources: page.records.map((r) => project(renderGroup(r, scope.basepath), request.projection)) };
}

/** GET /Groups, and POST /Groups/.search with the same parameters in its body. */
export async function listGroups(scope: ScimScope, query: Query): Promise<ScimResult> {
  const request = parseListRequest(query);
  const page = await groupPage(scope, request);
  return { status: 200, body: listResponse(page.totalResults, request.query.startIndex, page.resources) };
}

/** GET /Groups/{id} (`excludedAttributes=members` skips loading them, as Entra asks). */
export async function getGroup(scope: ScimScope, id: string, query: Query): Promise<ScimResult> {
  const projection = parseProjection(query.attributes, query.excludedAttributes);
  const record = await scope.directory.getGroup(scope.connection, id, { members: wantsMembers(projection) });
  if (!record) throw new BridgeError('NOT_FOUND', `Group ${id.slice(0, 100)} not found`);
  return single(scope, record, 200, projection);
}

/** POST /Groups: 201 with the group and its members. */
export async function createGroup(scope: ScimScope, body: unknown): Promise<ScimResult> {
  const record = await scope.directory.createGroup(scope.connection, groupInputFromBody(body), { requestId: scope.requestId });
  const withMembers = await scope.directory.getGroup(scope.connection, record.id, { members: true });
  return single(scope, withMembers ?? record, 201);
}

/** PUT /Groups/{id}: replaces name and membership (the store applies the difference). */
export async function replaceGroup(scope: ScimScope, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  const record = await scope.directory.replaceGroup(scope.connection, id, groupInputFromBody(body), writeOptions(ifMatch), { requestId: scope.requestId });
  const withMembers = await scope.directory.getGroup(scope.connection, record.id, { members: true });
  return single(scope, withMembers ?? record, 200);
}

/** PATCH /Groups/{id}: 204, as Entra asks (Microsoft Learn, SCIM endpoint tutorial); Okta accepts 204 too (Okta SCIM 2.0 reference). */
export async function patchGroup(scope: ScimScope, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  const operations = normalizePatchOperations(body);
  if (typeof operations === 'string') throw new BridgeError('INVALID_SYNTAX', operations);
  const record = await scope.directory.patchGroup(scope.connection, id, groupChangeFromPatch(operations), writeOptions(ifMatch), { requestId: scope.requestId });
  return { status: 204, etag: etagOf(record.version) };
}

/** DELETE /Groups/{id}: 204. */
export async function deleteGroup(scope: ScimScope, id: string, ifMatch: string | undefined): Promise<ScimResult> {
  await scope.directory.deleteGroup(scope.connection, id, writeOptions(ifMatch), { requestId: scope.requestId });
  return { status: 204 };
}
