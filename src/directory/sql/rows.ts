import type { AuditRecord, JobRow, SyncState, SyncStatus } from '../store.js';
import type { GroupRecord, ScimAttributes, UserRecord } from '../model.js';
import { raw } from './sql.js';
import type { Row } from './tx.js';

/**
 * Column lists and row decoders shared by both databases. The drivers differ in what they hand
 * back: pg returns bigint as a string and jsonb parsed, SQLite returns booleans as 0/1 and JSON
 * as text; every decoder accepts both.
 */

/** Epoch ms from a bigint column (pg sends a string). */
export const toNumber = (value: unknown): number => Number(value);
const toNullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const toNullableString = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** A JSON column (pg: parsed already; SQLite: text). */
export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Columns of a user row, aliased `u`. */
export const userColumns = raw('u.id, u.user_name, u.external_id, u.active, u.attributes, u.version, u.created, u.last_modified, u.deleted_at');

/** A user row as a record. */
export function toUser(row: Row): UserRecord & { deleted: boolean } {
  return { ...toLiveUser(row), deleted: row.deleted_at !== null && row.deleted_at !== undefined };
}

/** A user record without the tombstone flag (what lists and writes return). */
export function toLiveUser(row: Row): UserRecord {
  return {
    id: String(row.id),
    userName: String(row.user_name),
    externalId: toNullableString(row.external_id),
    active: Boolean(row.active),
    attributes: fromJson<ScimAttributes>(row.attributes),
    version: toNumber(row.version),
    created: toNumber(row.created),
    lastModified: toNumber(row.last_modified),
  };
}

const groupRow = 'g.id, g.display_name, g.external_id, g.attributes, g.version, g.created, g.last_modified';

/** Columns of a group row, aliased `g`, without the member count (for row locks). */
export const groupRowColumns = raw(groupRow);

/** Columns of a group row, aliased `g`, with its member count. */
export const groupColumns = raw(
  `${groupRow}, (SELECT count(*) FROM group_members c WHERE c.connection = g.connection AND c.group_id = g.id) AS member_count`,
);

/** A group row as a record (members are added by the caller when asked for). */
export function toGroup(row: Row): GroupRecord {
  return {
    id: String(row.id),
    displayName: String(row.display_name),
    externalId: toNullableString(row.external_id),
    attributes: fromJson<ScimAttributes>(row.attributes),
    version: toNumber(row.version),
    created: toNumber(row.created),
    lastModified: toNumber(row.last_modified),
    memberCount: toNumber(row.member_count),
  };
}

/** Columns of a job row. */
export const jobColumns = raw(
  'connection, user_id, generation, reason, request_ids, enqueued_at, available_at, attempts, last_error, held_reason, locked_by, locked_until, pending_handle, held_at, approved_by',
);

/**
 * The lease of a row just claimed: `locked_until` was set to the statement's `d.now` + `leaseMs`,
 * so the claim's time on the database clock is `locked_until - leaseMs`.
 */
export function leaseTimes(row: Row, leaseMs: number): { leaseUntil: number; claimedAt: number } {
  const leaseUntil = toNumber(row.locked_until);
  return { leaseUntil, claimedAt: leaseUntil - leaseMs };
}

/** A job row as stored. */
export function toJob(row: Row): JobRow {
  return {
    connection: String(row.connection),
    userId: String(row.user_id),
    generation: toNumber(row.generation),
    reason: String(row.reason) as JobRow['reason'],
    requestIds: fromJson<string[]>(row.request_ids),
    enqueuedAt: toNumber(row.enqueued_at),
    availableAt: toNumber(row.available_at),
    attempts: toNumber(row.attempts),
    lastError: toNullableString(row.last_error),
    heldReason: toNullableString(row.held_reason),
    heldAt: row.held_at === null || row.held_at === undefined ? null : toNumber(row.held_at),
    approvedBy: toNullableString(row.approved_by),
    pendingHandle: toNullableString(row.pending_handle),
  };
}

/** A sync-state row. */
export function toSyncState(row: Row): SyncState {
  const code = toNullableString(row.last_error_code);
  return {
    connection: String(row.connection),
    userId: String(row.user_id),
    status: String(row.status) as SyncStatus,
    targetId: toNullableString(row.target_id),
    targetEmail: toNullableString(row.target_email),
    role: toNullableString(row.role),
    isManaged: Boolean(row.is_managed),
    accountStatus: String(row.account_status) as SyncState['accountStatus'],
    lastError: code === null ? null : { code, message: String(row.last_error_message ?? '') },
    lastSyncAt: toNullableNumber(row.last_sync_at),
    updatedAt: toNumber(row.updated_at),
    ...(typeof row.warnings === 'string' && row.warnings !== '' ? { warnings: fromJson<string[]>(row.warnings) } : {}),
  };
}

/** An audit row. */
export function toAudit(row: Row): AuditRecord {
  return {
    id: toNumber(row.id),
    at: toNumber(row.at),
    connection: String(row.connection),
    userId: String(row.user_id),
    requestIds: fromJson<string[]>(row.request_ids),
    decision: fromJson<Record<string, unknown>>(row.decision),
  };
}
