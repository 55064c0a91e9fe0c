/**
 * Why a filter or a path does not parse. The codes are the SCIM error codes of RFC 7644 §3.12
 * (`invalidFilter`, `invalidPath`) in the spelling of `BridgeError` codes, so callers outside
 * this module turn one into the other without a table.
 */

/** The two ways the grammar refuses input. */
export type FilterErrorCode = 'INVALID_FILTER' | 'INVALID_PATH';

/** A filter or attribute path that does not parse; the message says where and why. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(
    readonly code: FilterErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Narrows an unknown thrown value to a {@link FilterError}. */
export function isFilterError(value: unknown): value is FilterError {
  return value instanceof FilterError;
}
