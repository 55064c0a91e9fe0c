import { BridgeError, type ErrorCode } from '../../errors.js';
import type { ParadimeGraphqlError } from './schemas.js';

/**
 * Turns Paradime GraphQL `errors` into classified BridgeErrors, by exact `extensions.code` only.
 * Paradime documents no error codes or messages (docs.paradime.io "User Management API" shows
 * success bodies only), so a message is never interpreted: wording changes, and "User management
 * is disabled for this API key" must not read as "the user is disabled". An error without a
 * known code is TARGET_REJECTED with the target's message, which is a failure everywhere.
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

// UNAUTHENTICATED and FORBIDDEN are also the codes GraphQL servers conventionally use for
// authentication and authorisation failures (Apollo Server's built-in error codes).
const byExtensionCode: Record<string, ErrorCode> = {
  [paradimeErrorCodes.alreadyExists]: 'TARGET_CONFLICT',
  [paradimeErrorCodes.alreadyInvited]: 'TARGET_CONFLICT',
  [paradimeErrorCodes.disabled]: 'UNSUPPORTED_OPERATION',
  [paradimeErrorCodes.notFound]: 'TARGET_NOT_FOUND',
  [paradimeErrorCodes.lastAdmin]: 'PROTECTED_ACCOUNT',
  [paradimeErrorCodes.unauthenticated]: 'TARGET_AUTH',
  FORBIDDEN: 'TARGET_AUTH',
};

/** Why a disabled user cannot be given access again (the API has no enable; docs.paradime.io "Manage users" page). */
export const paradimeReEnableHint =
  'the user is disabled in Paradime and the API cannot re-enable users: re-enable them in the Paradime UI (Settings > Users > Disabled)';

/** The bridge code for one GraphQL error: by its exact `extensions.code`, else TARGET_REJECTED. */
export function paradimeErrorCode(error: ParadimeGraphqlError): ErrorCode {
  const code = error.extensions?.code;
  return (code === undefined ? undefined : byExtensionCode[code]) ?? 'TARGET_REJECTED';
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
