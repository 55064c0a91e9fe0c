import express, { type Request, type Response, type Router } from 'express';
import { yardstikCreateGroupRequestSchema, type YardstikErrorItem, type YardstikGroupList } from './schemas.js';
import type { SimYardstikGroup, YardstikSimState } from './simulator-state.js';

/** The simulator's `/groups` routes (developer.yardstik.com Groups): a paginated list and create; memberships only through `/_sim/seed`. */

/** Default and largest `per_page`: 25 is documented (developer.yardstik.com Groups); the maximum is a GAP. */
export const yardstikGroupPageSize = { default: 25, max: 100 } as const;

const sortable = new Set(['created_at', 'updated_at', 'name', 'label']);

/** Sends `{"errors": [...]}` with the given status. */
export function sendYardstikErrors(res: Response, status: number, errors: YardstikErrorItem[]): void {
  res.status(status).json({ errors });
}

/** Routes for `GET /groups` and `POST /groups`. */
export function createGroupsRouter(state: YardstikSimState): Router {
  const router = express.Router();
  router.get('/groups', (req, res) => void res.json(listGroups(state, req)));
  router.post('/groups', (req, res) => {
    const parsed = yardstikCreateGroupRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      return sendYardstikErrors(res, 422, parsed.error.issues.map((issue) => ({ field: String(issue.path[0] ?? 'base'), message: issue.message })));
    }
    if (parsed.data.name !== undefined && state.isGroupNameTaken(parsed.data.name)) {
      return sendYardstikErrors(res, 422, [{ field: 'name', message: 'has already been taken' }]);
    }
    res.status(201).json(state.groupJson(state.addGroup(parsed.data)));
  });
  return router;
}

function listGroups(state: YardstikSimState, req: Request): YardstikGroupList {
  const page = positiveInt(queryText(req, 'page')) ?? 1;
  const perPage = Math.min(positiveInt(queryText(req, 'per_page')) ?? yardstikGroupPageSize.default, yardstikGroupPageSize.max);
  const orderBy = queryText(req, 'order_by') ?? 'created_at';
  const direction = queryText(req, 'order') === 'desc' ? -1 : 1;
  const key = (sortable.has(orderBy) ? orderBy : 'created_at') as 'created_at' | 'updated_at' | 'name' | 'label';
  const matching = state.groups
    .filter(createdWithin(queryText(req, 'query[created_at_gteq]'), queryText(req, 'query[created_at_lteq]')))
    .sort((a, b) => direction * (a[key].localeCompare(b[key]) || a.seq - b.seq));
  const totalPages = Math.ceil(matching.length / perPage);
  const data = matching.slice((page - 1) * perPage, page * perPage).map((group) => state.groupJson(group));
  return { object: 'list', meta: { page, per_page: perPage, total_count: matching.length, total_pages: totalPages }, data };
}

// `query[...]` filters (developer.yardstik.com Groups): only the documented created_at bounds are simulated.
function createdWithin(from: string | undefined, to: string | undefined): (group: SimYardstikGroup) => boolean {
  const lower = from === undefined ? Number.NEGATIVE_INFINITY : Date.parse(from);
  const upper = to === undefined ? Number.POSITIVE_INFINITY : Date.parse(to);
  return (group) => {
    const created = Date.parse(group.created_at);
    return !(created < lower) && !(created > upper);
  };
}

function queryText(req: Request, key: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[key];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

function positiveInt(text: string | undefined): number | undefined {
  const value = Number(text);
  return Number.isInteger(value) && value >= 1 ? value : undefined;
}
