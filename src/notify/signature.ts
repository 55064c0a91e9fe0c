import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (docs/notifications.md): `X-Scim-Bridge-Signature: v1=<hex>`, the
 * HMAC-SHA256 of `<timestamp>.<body>` keyed with the webhook's secret, where the timestamp is
 * `X-Scim-Bridge-Timestamp` (Unix seconds). Signing the timestamp with the body lets a receiver
 * refuse a replayed delivery: one whose timestamp is outside its tolerance window.
 */

/** Unix seconds when the delivery was signed. */
export const TIMESTAMP_HEADER = 'X-Scim-Bridge-Timestamp';
/** `v1=<hex>`; several comma-separated values may come (any one matching is enough). */
export const SIGNATURE_HEADER = 'X-Scim-Bridge-Signature';
/** The event's id (a summary: its own id): the receiver's key for dropping a delivery it already has. */
export const DELIVERY_HEADER = 'X-Scim-Bridge-Delivery';
/** The event kind, or `summary`. */
export const EVENT_HEADER = 'X-Scim-Bridge-Event';

/** How far a timestamp may be from the receiver's clock by default (5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signature header value of a body signed at `timestamp` (Unix seconds). */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver checks. */
export interface SignedDelivery {
  secret: string;
  /** The raw body, exactly as received (before any JSON parsing). */
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  toleranceSeconds?: number;
  /** The receiver's clock, epoch ms. */
  now?: number;
}

/** Why a delivery was refused, or null when it is authentic and fresh. */
export function signatureProblem(delivery: SignedDelivery): string | null {
  const { timestamp, signature } = delivery;
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return 'missing or malformed timestamp';
  if (signature === undefined || signature === '') return 'missing signature';
  const nowSeconds = Math.floor((delivery.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > (delivery.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return 'timestamp outside the tolerance window (a replay, or a clock off)';
  const expected = Buffer.from(signBody(delivery.secret, Number(timestamp), delivery.body));
  const isMatch = signature.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return isMatch ? null : 'signature does not match';
}
