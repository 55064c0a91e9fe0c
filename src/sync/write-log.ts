import type { TargetAccount } from '../connectors/types.js';
import type { BridgeError } from '../errors.js';
import type { SyncConnection } from './connection.js';

/**
 * One log line per target write, for every connector alike (the framework writes it, in
 * execute.ts): what was done to whose account, the role before and after, the result and the
 * SCIM request that caused it. A write that succeeded or failed transiently (it is retried) is
 * `info`; a permanent failure needs a person and is `warn` (the user's own "convergence failed"
 * line is then left out: one incident, one warning).
 */

/** What a write did, as the log names it. */
export type WriteOperation = 'create' | 'adopt' | 'role-change' | 'update' | 'disable' | 'delete';

/** The write being logged. */
export interface TargetWrite {
  operation: WriteOperation;
  email: string;
  roleBefore: string | null;
  roleAfter: string | null;
  /** For an update: the fields it changed (role, name, email). */
  changed?: string[];
}

/** Who the write is for. */
export interface WriteSubject {
  userId: string;
  userName: string;
  requestId: string | undefined;
}

const reported = new WeakSet<object>();

/** Logs a write that succeeded; `account` is the account it left (null when deleted). */
export function logWriteDone(connection: SyncConnection, subject: WriteSubject, write: TargetWrite, account: TargetAccount | null, ms: number): void {
  connection.logger.info('target write', {
    ...fieldsOf(connection, subject, write),
    result: 'ok',
    accountId: account?.id ?? null,
    accountStatus: account?.status ?? 'absent',
    ms,
  });
}

/** Logs a write that failed: `warn` when permanent (a person must act), else `info` (it is retried). */
export function logWriteFailed(connection: SyncConnection, subject: WriteSubject, write: TargetWrite, error: BridgeError, ms: number): void {
  const fields = { ...fieldsOf(connection, subject, write), result: 'failed', code: error.code, error: error.message, ms };
  if (error.isTransient) {
    connection.logger.info('target write', { ...fields, isTransient: true });
    return;
  }
  connection.logger.warn('target write', fields);
  reported.add(error);
}

/** Whether a write failing with this error was already logged at `warn`. */
export function isReportedAtWarn(error: unknown): boolean {
  return typeof error === 'object' && error !== null && reported.has(error);
}

function fieldsOf(connection: SyncConnection, subject: WriteSubject, write: TargetWrite): Record<string, unknown> {
  return {
    connection: connection.name,
    userId: subject.userId,
    userName: subject.userName,
    operation: write.operation,
    email: write.email,
    roleBefore: write.roleBefore,
    roleAfter: write.roleAfter,
    ...(write.changed ? { changed: write.changed } : {}),
    requestId: subject.requestId ?? null,
  };
}
