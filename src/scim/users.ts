import { BridgeError } from '../errors.js';
import type { UserInput, UserRecord } from '../directory/model.js';
import { parseListRequest, type ListRequest } from './list-query.js';
import { parseProjection, project, type Projection } from './projection.js';
import { normalizePatchOperations, normalizeUserBody } from './quirks.js';
import { etagOf, renderUser, requireObject, userInputFromAttributes, userInputFromBody, versionFromIfMatch } from './resources.js';
import { coerceUser } from './schemas.js';
import { listResponse, type ScimResult, type ScimScope } from './scope.js';
import { applyUserPatch } from './user-patch.js';

/** SCIM /Users operations for one connection: thin steps between the request and the directory. */

type Query = Record<string, unknown>;

/** Users read with their relations (`related`), rendered and projected. */
function render(scope: ScimScope, records: readonly UserRecord[], projection: Projection): Record<string, unknown>[] {
  return records.map((record) => project(renderUser(record, scope.basepath, record.related?.groups ?? [], record.related?.syncState ?? undefined), projection));
}

/**
 * A user as a write left it, with its groups and sync state read afterwards (in one unit of
 * work): the version and attributes are the write's own, whatever came after it.
 */
async function single(scope: ScimScope, record: UserRecord, status: number, projection: Projection = {}): Promise<ScimResult> {
  const related = record.related ?? (await scope.directory.getUser(scope.connection, record.id, { related: true }))?.related;
  const [body] = render(scope, [{ ...record, ...(related ? { related } : {}) }], projection);
  return { status, body, etag: etagOf(record.version), location: `${scope.basepath}/Users/${record.id}` };
}

async function mustGet(scope: ScimScope, id: string, related = false): Promise<UserRecord> {
  const record = await scope.directory.getUser(scope.connection, id, related ? { related } : {});
  if (!record) throw new BridgeError('NOT_FOUND', `User ${id.slice(0, 100)} not found`);
  return record;
}

/** One page of users, rendered and projected: users, groups and sync states in one unit of work. */
export async function userPage(scope: ScimScope, request: ListRequest): Promise<{ totalResults: number; resources: Record<string, unknown>[] }> {
  const page = await scope.directory.listUsers(scope.connection, { ...request.query, related: true });
  return { totalResults: page.totalResults, resources: render(scope, page.records, request.projection) };
}

/** GET /Users, and POST /Users/.search with the same parameters in its body. */
export async function listUsers(scope: ScimScope, query: Query): Promise<ScimResult> {
  const request = parseListRequest(query);
  const page = await userPage(scope, request);
  return { status: 200, body: listResponse(page.totalResults, request.query.startIndex, page.resources) };
}

/** GET /Users/{id} */
export async function getUser(scope: ScimScope, id: string, query: Query): Promise<ScimResult> {
  return single(scope, await mustGet(scope, id, true), 200, parseProjection(query.attributes, query.excludedAttributes));
}

/** POST /Users */
export async function createUser(scope: ScimScope, body: unknown): Promise<ScimResult> {
  const record = await scope.directory.createUser(scope.connection, userInputFromBody(body), { requestId: scope.requestId });
  return single(scope, record, 201);
}

/**
 * PUT /Users/{id}: replaces every attribute (RFC 7644 §3.5.1). A body without `active` leaves it
 * unassigned, and access as it was: the current user is read for it.
 */
export async function replaceUser(scope: ScimScope, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  const coerced = coerceUser(normalizeUserBody(requireObject(body, 'a User')));
  if (coerced.active !== undefined) {
    const ifVersion = versionFromIfMatch(ifMatch);
    const record = await scope.directory.replaceUser(scope.connection, id, userInputFromAttributes(coerced), ifVersion === undefined ? {} : { ifVersion }, { requestId: scope.requestId });
    return single(scope, record, 200);
  }
  return writeOnCurrent(scope, id, ifMatch, async (current) => userInputFromAttributes(coerced, current));
}

/** PATCH /Users/{id}: 200 with the resource, operations applied in order. */
export async function patchUser(scope: ScimScope, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  const operations = normalizePatchOperations(body);
  if (typeof operations === 'string') throw new BridgeError('INVALID_SYNTAX', operations);
  return writeOnCurrent(scope, id, ifMatch, async (current) => {
    const patched = await applyUserPatch(id, current.attributes, operations);
    return patched ? userInputFromAttributes(coerceUser(normalizeUserBody(patched)), current) : null;
  });
}

/**
 * Reads the user, builds the new state from it (null: nothing changes) and writes it if the user
 * is still at that version. Retries a lost race when the client sent no If-Match.
 */
async function writeOnCurrent(scope: ScimScope, id: string, ifMatch: string | undefined, build: (current: UserRecord) => Promise<UserInput | null>): Promise<ScimResult> {
  const clientVersion = versionFromIfMatch(ifMatch);
  for (let attempt = 0; ; attempt++) {
    const current = await mustGet(scope, id);
    if (clientVersion !== undefined && clientVersion !== current.version) {
      throw new BridgeError('VERSION_MISMATCH', `User ${id} is at version ${current.version}, not ${clientVersion}`);
    }
    const input = await build(current);
    if (!input) return single(scope, current, 200);
    try {
      const record = await scope.directory.replaceUser(scope.connection, id, input, { ifVersion: current.version }, { requestId: scope.requestId });
      return await single(scope, record, 200);
    } catch (err) {
      const raced = err instanceof BridgeError && err.code === 'VERSION_MISMATCH' && clientVersion === undefined && attempt < 3;
      if (!raced) throw err;
    }
  }
}

/** DELETE /Users/{id}: 204. */
export async function deleteUser(scope: ScimScope, id: string, ifMatch: string | undefined): Promise<ScimResult> {
  const ifVersion = versionFromIfMatch(ifMatch);
  await scope.directory.deleteUser(scope.connection, id, ifVersion === undefined ? {} : { ifVersion }, { requestId: scope.requestId });
  return { status: 204 };
}
