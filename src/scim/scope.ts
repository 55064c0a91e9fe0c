import type { Directory } from '../directory/directory.js';
import { LIST_RESPONSE } from './schemas.js';

export type { Directory } from '../directory/directory.js';

/** One SCIM request's view: which connection, where its resources live, who asked. */
export interface ScimScope {
  connection: string;
  directory: Directory;
  /** `https://host/scim/v2/<connection>`: the base of every meta.location. */
  basepath: string;
  requestId: string;
}

/** What a SCIM operation answers; the router turns it into an HTTP response. */
export interface ScimResult {
  status: number;
  body?: Record<string, unknown>;
  etag?: string;
  location?: string;
}

/** A ListResponse (RFC 7644 §3.4.2) with integer figures. */
export function listResponse(totalResults: number, startIndex: number, resources: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [LIST_RESPONSE], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}
