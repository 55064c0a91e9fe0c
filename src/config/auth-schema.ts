import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Configuration of how clients reach the bridge: OAuth 2.0 client credentials per connection
 * (RFC 6749 §4.4), the keys that sign the access tokens, and which reverse proxies may say who
 * the client is (`X-Forwarded-For`). Part of the bridge configuration (schema.ts).
 */

/** Client identifiers are sent form-encoded (RFC 6749 §2.3.1): keep them to characters that need no encoding. */
const clientIdPattern = /^[A-Za-z0-9._~-]{1,128}$/;

/** One OAuth client of a connection. */
export const oauthClientSchema = z
  .object({
    clientId: z.string({ error: 'expected a string' }).regex(clientIdPattern, { error: 'a client id uses letters, digits and . _ ~ - (at most 128)' }),
    clientSecret: z.string({ error: 'expected a string' }).min(16, { error: 'a client secret must be at least 16 characters' }),
    /** Lifetime of the access tokens issued to this client. */
    tokenTtlSeconds: z.number().int().min(300).max(21_600, { error: 'at most 21600 (6 hours)' }).default(3_600),
  })
  .strict();

/** One OAuth client, as configured. */
export type OAuthClientConfig = z.infer<typeof oauthClientSchema>;

/** `scim.oauth`: one client, or a list of them (two entries with one clientId rotate its secret). */
export const oauthClientsSchema = z
  .union([oauthClientSchema, z.array(oauthClientSchema).min(1, { error: 'list at least one client' })])
  .transform((clients) => (Array.isArray(clients) ? clients : [clients]));

/** `http.tokenSigningKey`: one key or a list; the first signs, every one verifies (rotation). */
const signingKey = z.string({ error: 'expected a string' }).min(32, { error: 'a token signing key must be at least 32 characters' });
export const tokenSigningKeysSchema = z
  .union([signingKey, z.array(signingKey).min(1, { error: 'list at least one key' })])
  .transform((keys) => (Array.isArray(keys) ? keys : [keys]));

const proxyKeywords = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Whether a `trustProxy` entry is an address, a subnet (`10.0.0.0/8`) or one of express's keywords. */
function isProxyAddress(value: string): boolean {
  if (proxyKeywords.has(value)) return true;
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * `http.trustProxy`: off (`false`), the number of proxies in front of the bridge (`1` for one
 * nginx), or their addresses and subnets. `true` is refused: it would trust an address any client
 * can write into X-Forwarded-For itself.
 */
export const trustProxySchema = z
  .union([z.boolean(), z.number(), z.array(z.string())], { error: 'expected false, a number of proxies (1 for one nginx) or a list of proxy addresses' })
  .superRefine((value, ctx) => {
    if (value === true) ctx.addIssue({ code: 'custom', message: 'true would trust any X-Forwarded-For a client writes itself: give the number of proxies in front of the bridge (1 for one nginx) or their addresses' });
    if (typeof value === 'number' && !(Number.isInteger(value) && value >= 1 && value <= 10)) ctx.addIssue({ code: 'custom', message: 'expected a number of proxies from 1 to 10' });
    if (Array.isArray(value)) {
      if (value.length === 0) ctx.addIssue({ code: 'custom', message: 'list at least one proxy address, or write false' });
      value.forEach((entry, index) => {
        if (!isProxyAddress(entry)) ctx.addIssue({ code: 'custom', path: [index], message: `expected an IP address, a subnet (10.0.0.0/8) or loopback, linklocal, uniquelocal; got "${entry.slice(0, 60)}"` });
      });
    }
  })
  .transform((value): false | number | string[] => (value === true ? false : value));
