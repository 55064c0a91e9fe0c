import { BridgeError, type ErrorCode } from '../../errors.js';
import type { ParadimeGraphqlError } from './schemas.js';

/**
 * Turns Paradime GraphQL `errors` into classified BridgeErrors. Paradime's real error codes and
 * messages are a GAP (Paradime documents none): `extensions.code` is read first (the simulator sets the codes
 * below), then the message is matched, so a real server without codes is still classified.
 */

/** The `extensions.code` values the simulator sends (docs/simulators/paradime.md). */
export const paradimeErrorCodes = {
  alreadyExists: 'USER_ALREADY_EXISTS',
  alreadyInvited: 'USER_ALREADY_INVITED',
  disabled: 'USER_DISABLED',
  notFound: 'USER_NOT_FOUND',
  lastAdmin: 'LAST_ADMIN',
  invalidEmail: 'INVALID_EMAIL',
  unauthenticated: 'UNAUTHENTICATED',
} as const;

const byExtensionCode: Record<string, ErrorCode> = {
  [paradimeErrorCodes.alreadyExists]: 'TARGET_CONFLICT',
  [paradimeErrorCodes.alreadyInvited]: 'TARGET_CONFLICT',
  [paradimeErrorCodes.disabled]: 'UNSUPPORTED_OPERATION',
  [paradimeErrorCodes.notFound]: 'TARGET_NOT_FOUND',
  [paradimeErrorCodes.lastAdmin]: 'PROTECTED_ACCOUNT',
  [paradimeErrorCodes.unauthenticated]: 'TARGET_AUTH',
  FORBIDDEN: 'TARGET_AUTH',
};

// Order matters: "the last admin cannot be disabled" is a protection, and "already disabled"
// is about a disabled user, not a duplicate.
const byMessage: Array<[RegExp, ErrorCode]> = [
  [/last (workspace )?admin/i, 'PROTECTED_ACCOUNT'],
  [/disabled|deactivated/i, 'UNSUPPORTED_OPERATION'],
  [/already (exists|invited|a member|been invited|in)/i, 'TARGET_CONFLICT'],
  [/not found|does not exist|no (such )?user/i, 'TARGET_NOT_FOUND'],
  [/unauthori[sz]ed|unauthenticated|forbidden|permission|invalid (api )?(key|secret|token|credentials)/i, 'TARGET_AUTH'],
];

/** Why a disabled user cannot be given access again (Paradime's User Management API and Manage users docs). */
export const paradimeReEnableHint =
  'the user is disabled in Paradime and the API cannot re-enable users: re-enable them in the Paradime UI (Settings > Users > Disabled)';

/** The bridge code for one GraphQL error: by `extensions.code` when present, else by message, else TARGET_REJECTED. */
export function paradimeErrorCode(error: ParadimeGraphqlError): ErrorCode {
  const code = error.extensions?.code;
  const known = code === undefined ? undefined : byExtensionCode[code];
  if (known) return known;
  return byMessage.find(([pattern]) => pattern.test(error.message))?.[1] ?? 'TARGET_REJECTED';
}

/** One BridgeError for the GraphQL `errors` of an operation (the first error decides; the SDK raises on any). */
export function paradimeGraphqlError(operation: string, errors: readonly ParadimeGraphqlError[], status = 200): BridgeError {
  const first = errors[0] ?? { message: 'unknown error' };
  const code = paradimeErrorCode(first);
  const targetMessage = first.message.slice(0, 200);
  const message =
    code === 'UNSUPPORTED_OPERATION' ? `paradime ${operation}: ${paradimeReEnableHint} (${targetMessage})` : `paradime ${operation}: ${targetMessage}`;
  return new BridgeError(code, message, {
    details: {
      status,
      operation,
      targetMessage,
      ...(code === 'UNSUPPORTED_OPERATION' ? { reason: 'user-disabled' } : {}),
      ...(first.extensions?.code !== undefined ? { targetError: first.extensions.code } : {}),
    },
  });
}

/** The error for a result with `ok: false` and no `errors`: nothing says why, so it is a plain rejection. */
export function paradimeNotOk(operation: string): BridgeError {
  return new BridgeError('TARGET_REJECTED', `paradime ${operation} answered ok: false`, { details: { operation } });
}
