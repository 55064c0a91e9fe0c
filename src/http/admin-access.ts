import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { BridgeError } from '../errors.js';

/**
 * Who may read /metrics and /status. With `http.adminToken` set, every request must carry it
 * (`Authorization: Bearer <token>`, or HTTP Basic with the token as password), whatever the
 * address: a reverse proxy on the same host would otherwise expose a loopback-bound bridge.
 * Without a token the pages are open only when the bridge listens on a loopback address, and
 * refused (403, saying what to set) everywhere else.
 */

/** Options of {@link adminAccess}. */
export interface AdminAccessOptions {
  /** `listen.host` of the bridge. */
  host: string;
  /** `http.adminToken`, if configured. */
  adminToken?: string | undefined;
}

/** How the admin pages are protected, for the startup log and the docs. */
export type AdminAccessMode = 'token' | 'loopback' | 'disabled';

/** Whether a listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Which rule applies to a bridge. */
export function adminAccessMode(options: AdminAccessOptions): AdminAccessMode {
  if (options.adminToken) return 'token';
  return isLoopbackHost(options.host) ? 'loopback' : 'disabled';
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Who a request is, for pages with a public and an admin view (/readyz): `admin` under the rule
 * above, `anonymous` without credentials (or where admin access is off), `refused` with wrong
 * credentials.
 */
export type AdminCaller = 'admin' | 'anonymous' | 'refused';

/** Classifies the `Authorization` header of a request under the admin rule. */
export function adminCaller(options: AdminAccessOptions): (authorization: string | undefined) => AdminCaller {
  const mode = adminAccessMode(options);
  const expected = options.adminToken ? digest(options.adminToken) : null;
  return (authorization) => {
    if (mode === 'loopback') return 'admin';
    if (mode === 'disabled' || !expected || authorization === undefined) return 'anonymous';
    const presented = presentedToken(authorization);
    // Compared on digests, in constant time, so neither length nor prefix shows in the timing.
    return presented !== null && timingSafeEqual(digest(presented), expected) ? 'admin' : 'refused';
  };
}

/** The middleware guarding the admin pages. */
export function adminAccess(options: AdminAccessOptions): RequestHandler {
  const mode = adminAccessMode(options);
  const callerOf = adminCaller(options);
  return (req, _res, next) => {
    if (mode === 'disabled') {
      return next(new BridgeError('FORBIDDEN', 'the admin pages are off: the bridge listens on a non-loopback address and http.adminToken is not set'));
    }
    if (callerOf(req.header('authorization')) === 'admin') return next();
    next(new BridgeError('UNAUTHORIZED', 'admin token required: send "Authorization: Bearer <http.adminToken>"'));
  };
}

/** The token of a Bearer header, or the password of a Basic one; null otherwise. */
function presentedToken(header: string | undefined): string | null {
  const match = /^(\S+)\s+(.+)$/.exec(header?.trim() ?? '');
  if (!match) return null;
  const scheme = (match[1] as string).toLowerCase();
  const value = (match[2] as string).trim();
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}
