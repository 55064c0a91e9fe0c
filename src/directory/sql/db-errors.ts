import { BridgeError, isBridgeError } from '../../errors.js';

/**
 * Classifies driver errors of both databases: a unique violation becomes UNIQUENESS naming the
 * attribute; an unreachable, busy or failing database becomes STORE_UNAVAILABLE (transient, so
 * the IdP is told to retry); anything else is left as it is (an internal error).
 */

/** What a database error means to the store. */
export type DbErrorClass = 'unique' | 'unavailable' | 'conflict';

// PostgreSQL SQLSTATEs: class 08 connection exceptions, 53 insufficient resources,
// 57P01-57P03 shutdown or starting up, 58 system errors (I/O).
const pgUnavailable = /^(08|53|57P0[1-3]|58)/;
// 40P01 deadlock and 40001 serialization failure: the transaction can simply run again.
const pgConflict = new Set(['40P01', '40001']);
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
// pg and pg-pool raise these as plain Errors without a code.
const pgClientMessages = /timeout exceeded when trying to connect|Connection terminated|not queryable|Cannot use a pool after calling end/i;
const sqliteUnavailable = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|NOMEM|READONLY)/;
const sqliteUnique = /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/;

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** Classifies a raw driver error; undefined when it is none of the known kinds. */
export function classifyDbError(err: unknown): DbErrorClass | undefined {
  const code = codeOf(err);
  if (code === '23505' || (code !== undefined && sqliteUnique.test(code))) return 'unique';
  if (code !== undefined && pgConflict.has(code)) return 'conflict';
  if (code !== undefined && (networkCodes.has(code) || sqliteUnavailable.test(code) || (/^[0-9A-Z]{5}$/.test(code) && pgUnavailable.test(code)))) {
    return 'unavailable';
  }
  if (err instanceof AggregateError && err.errors.some((inner) => classifyDbError(inner) === 'unavailable')) return 'unavailable';
  if (err instanceof Error && pgClientMessages.test(err.message)) return 'unavailable';
  return undefined;
}

function uniqueAttribute(err: unknown): string {
  const text = err instanceof Error ? `${err.message} ${String((err as { constraint?: unknown }).constraint ?? '')}` : String(err);
  if (text.includes('user_name_ci')) return 'userName';
  if (text.includes('display_name_ci')) return 'displayName';
  if (text.includes('sync_state_target_key') || text.includes('sync_state.connection, sync_state.target_id')) return 'targetId';
  return 'id';
}

/** Maps a raw driver error to a {@link BridgeError} where it has a meaning; returns others unchanged. */
export function toStoreError(err: unknown): unknown {
  if (isBridgeError(err)) return err;
  switch (classifyDbError(err)) {
    case 'unique': {
      const attribute = uniqueAttribute(err);
      return new BridgeError('UNIQUENESS', `this ${attribute} is already taken`, { details: { attribute }, cause: err });
    }
    case 'unavailable':
    case 'conflict':
      return new BridgeError('STORE_UNAVAILABLE', `the directory database is unavailable (${codeOf(err) ?? 'connection error'})`, { cause: err });
    default:
      return err;
  }
}
