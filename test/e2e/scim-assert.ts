import { expect } from 'vitest';
import type { Response } from 'supertest';

/** Assertions on SCIM responses shared by the SCIM-level e2e tests (RFC 7644 §3.4.2, §3.12). */

export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SYNC_SCHEMA = 'urn:scim-bridge:schemas:extension:sync:1.0:User';

/** A SCIM resource as the tests read it. */
export type Resource = Record<string, unknown> & { id: string; meta: Record<string, unknown> };

/** A ListResponse as the tests read it. */
export interface ListBody {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Resource[];
}

/** The empty ListResponse both IdPs expect when nothing matches (docs/okta.md, docs/entra.md: Test Connection). */
export const EMPTY_LIST = { schemas: [LIST_RESPONSE], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] };

/** Asserts a 200 ListResponse with integer figures that agree with `Resources`; returns the body. */
export function expectList(res: Response, startIndex = 1): ListBody {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  const body = res.body as ListBody;
  expect(body.schemas).toEqual([LIST_RESPONSE]);
  expect(Number.isInteger(body.totalResults)).toBe(true);
  expect(body.startIndex).toBe(startIndex);
  expect(body.itemsPerPage).toBe(body.Resources.length);
  expect(Array.isArray(body.Resources)).toBe(true);
  return body;
}

/** Asserts an RFC 7644 §3.12 error: the status, the Error schema, `status` as a string, and the scimType when given. */
export function expectError(res: Response, status: number, scimType?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  expect(res.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
  expect(typeof (res.body as { detail?: unknown }).detail).toBe('string');
  if (scimType !== undefined) expect((res.body as { scimType?: string }).scimType).toBe(scimType);
}

/** Asserts what every returned resource carries: schemas, id, meta with location and version, and the ETag header. */
export function expectResource(res: Response, status: number, location: string): Resource {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const body = res.body as Resource;
  expect(typeof body.id).toBe('string');
  expect(body.id).not.toBe('');
  expect(Array.isArray(body.schemas)).toBe(true);
  expect(body.meta.location).toBe(`${location}/${body.id}`);
  expect(body.meta.version).toMatch(/^W\/"\d+"$/);
  expect(res.headers.etag).toBe(body.meta.version);
  expect(Date.parse(String(body.meta.created))).not.toBeNaN();
  expect(Date.parse(String(body.meta.lastModified))).not.toBeNaN();
  return body;
}

/** Reads every page of a listing (`count` per page) and returns the ids in order. */
export async function listAllIds(get: (path: string) => Promise<Response>, endpoint: string, count = 100): Promise<string[]> {
  const ids: string[] = [];
  for (let startIndex = 1; ; startIndex += count) {
    const page = expectList(await get(`${endpoint}${endpoint.includes('?') ? '&' : '?'}startIndex=${startIndex}&count=${count}`), startIndex);
    ids.push(...page.Resources.map((r) => r.id));
    if (startIndex + count > page.totalResults) return ids;
  }
}
