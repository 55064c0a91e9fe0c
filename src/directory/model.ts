import type { AttrPath, Filter } from '../filter/index.js';
import type { SyncState } from './store.js';

/**
 * The directory's resource model: what the IdP asked for, per connection. Resources are stored
 * as SCIM JSON (without `id`, `meta` and, for groups, `members`), plus the columns filters and
 * uniqueness need.
 */

/** A SCIM attribute bag as the IdP sent it (after coercion), without id, meta or members. */
export type ScimAttributes = Record<string, unknown>;

/** A stored user. */
export interface UserRecord {
  id: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  /** The SCIM body: schemas, userName, name, emails, enterprise extension, ... */
  attributes: ScimAttributes;
  version: number;
  /** Epoch milliseconds. */
  created: number;
  lastModified: number;
  /** The user's groups and sync state, read in the same unit of work, when the read asked for them (`related`). */
  related?: UserRelations;
}

/** What a SCIM User shows beside its own attributes: its groups and what happened in the target. */
export interface UserRelations {
  groups: UserGroupRef[];
  syncState: SyncState | null;
}

/** A group member reference (members are users of the same connection). */
export interface MemberRef {
  value: string;
  /** The member's userName, filled in on reads. */
  display?: string;
}

/** A stored group; `members` only when asked for. */
export interface GroupRecord {
  id: string;
  displayName: string;
  externalId: string | null;
  attributes: ScimAttributes;
  version: number;
  created: number;
  lastModified: number;
  members?: MemberRef[];
  /** Number of members (always filled). */
  memberCount: number;
}

/** A group a user belongs to (for User.groups and for mapping rules). */
export interface UserGroupRef {
  userId: string;
  groupId: string;
  displayName: string;
  externalId: string | null;
}

/** Input of user create and replace. */
export interface UserInput {
  userName: string;
  externalId: string | null;
  active: boolean;
  /** Emails from `attributes.emails`, normalised, for the indexed email filter. */
  emails: { value: string; type: string | null; primary: boolean }[];
  attributes: ScimAttributes;
}

/** Input of group create and replace. */
export interface GroupInput {
  displayName: string;
  externalId: string | null;
  attributes: ScimAttributes;
  /** Member user ids, de-duplicated by the store. */
  members: string[];
}

/** One membership change of a group PATCH, by member ids or by a filter on the member (`members[display eq "x"]`). */
export type MemberStep =
  | { kind: 'add' | 'remove' | 'replace'; ids: string[] }
  | { kind: 'removeWhere'; filter: Filter };

/** A group PATCH, applied as deltas: a 10,000-member group never rewrites every row. */
export interface GroupChange {
  displayName?: string;
  externalId?: string | null;
  attributes?: ScimAttributes;
  /**
   * Membership changes in the order the PATCH gave them (RFC 7644 §3.5.2: operations apply in
   * order). `replace` sets the whole membership, applied as a diff.
   */
  members?: MemberStep[];
}

/** Sort order of a list. */
export interface ListSort {
  by: AttrPath;
  descending: boolean;
}

/** A list request (RFC 7644 §3.4.2): filter, 1-based startIndex, count. */
export interface ListQuery {
  filter?: Filter;
  /** 1-based; values below 1 are treated as 1 (RFC 7644 §3.4.2.4). */
  startIndex: number;
  /** Page size; 0 asks only for totalResults. */
  count: number;
  sort?: ListSort;
  /** Users only: also read each user's groups and sync state in the same unit of work (`UserRecord.related`). */
  related?: boolean;
}

/** A page of results. */
export interface ListPage<T> {
  totalResults: number;
  records: T[];
}

/** Who caused a write (kept with the outbox job, for the audit log). */
export interface WriteContext {
  requestId: string;
  /** The id a created user gets (strict mode leases it before the user exists); a new UUID when absent. */
  newId?: string;
}

/** Optimistic concurrency: the `If-Match` version, when the client sent one. */
export interface WriteOptions {
  ifVersion?: number;
}

/** Why a user's convergence job was queued. */
export type JobReason =
  | 'user.created'
  | 'user.replaced'
  | 'user.patched'
  | 'user.deleted'
  | 'group.membership'
  | 'group.renamed'
  | 'group.deleted';
