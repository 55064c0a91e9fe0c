import { BridgeError } from '../errors.js';
import { groupPage } from './groups.js';
import { parseListRequest, type ListRequest } from './list-query.js';
import { listResponse, type ScimResult, type ScimScope } from './scope.js';
import { searchParams } from './search.js';
import { userPage } from './users.js';

/**
 * `POST /.search` at the root (RFC 7644 §3.4.3): Users and Groups as one list, users first, each
 * in its own order (created, then id), paged across both. A filter that cannot apply to one
 * resource type (`members[...]` on Users) matches none of it, as RFC 7644 §3.4.3 has it for
 * attributes a type does not define; one that applies to neither is refused.
 */

type Page = { totalResults: number; resources: Record<string, unknown>[] };
type Outcome = { page: Page } | { error: BridgeError };

/** POST /.search */
export async function searchAll(scope: ScimScope, body: unknown): Promise<ScimResult> {
  const request = parseListRequest(searchParams(body));
  if (request.query.sort) {
    throw new BridgeError('INVALID_VALUE', 'sortBy is not supported across resource types: search /Users/.search or /Groups/.search');
  }
  const { startIndex, count } = request.query;
  const users = await attempt(() => userPage(scope, request));
  const userTotal = 'page' in users ? users.page.totalResults : 0;
  const userResources = 'page' in users ? users.page.resources : [];
  const rest: ListRequest = { ...request, query: { ...request.query, startIndex: Math.max(1, startIndex - userTotal), count: Math.max(0, count - userResources.length) } };
  const groups = await attempt(() => groupPage(scope, rest));
  if ('error' in users && 'error' in groups) throw users.error;
  const groupTotal = 'page' in groups ? groups.page.totalResults : 0;
  const groupResources = 'page' in groups ? groups.page.resources : [];
  return { status: 200, body: listResponse(userTotal + groupTotal, startIndex, [...userResources, ...groupResources]) };
}

/** A page, or the INVALID_FILTER error that says the filter does not apply to this type. */
async function attempt(read: () => Promise<Page>): Promise<Outcome> {
  try {
    return { page: await read() };
  } catch (err) {
    if (err instanceof BridgeError && err.code === 'INVALID_FILTER') return { error: err };
    throw err;
  }
}
