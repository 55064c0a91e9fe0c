import { describe, expect, it } from 'vitest';
import { bridgeConfigSchema } from '../../../src/config/schema.js';

/** http.trustProxy, http.tokenSigningKey and scim.oauth: what is accepted, and what is said about the rest. */

const connection = (scim: Record<string, unknown>) => ({ type: 'yardstik', scim, target: { url: 'http://x' } });
const parse = (http: Record<string, unknown>, scim: Record<string, unknown> = { tokens: ['a-token-of-12-chars'] }) =>
  bridgeConfigSchema.safeParse({ http, connections: { ys: connection(scim) } });
const messages = (result: ReturnType<typeof parse>): string[] => (result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));

const KEY = 'k'.repeat(32);
const client = { clientId: 'entra', clientSecret: 's'.repeat(16) };

describe('http.trustProxy', () => {
  it.each([[false], [1], [2], [['127.0.0.1']], [['10.0.0.0/8', 'uniquelocal', '::1', 'fd00::/8']]])('accepts %j', (value) => {
    const result = parse({ trustProxy: value });
    expect(messages(result)).toEqual([]);
    expect(result.data?.http.trustProxy).toEqual(value);
  });

  it('is off by default', () => {
    expect(parse({}).data?.http.trustProxy).toBe(false);
  });

  it.each([
    [true, /true would trust any X-Forwarded-For/],
    [0, /from 1 to 10/],
    [1.5, /from 1 to 10/],
    ['yes', /expected false, a number of proxies/],
    [[], /at least one proxy/],
    [['10.0.0.0/33'], /expected an IP address, a subnet/],
    [['nginx'], /got "nginx"/],
  ])('refuses %j with a message that says what to write', (value, message) => {
    expect(messages(parse({ trustProxy: value })).join('\n')).toMatch(message);
  });
});

describe('scim.oauth and http.tokenSigningKey', () => {
  it('takes one client or a list, with a default token lifetime of an hour', () => {
    const one = parse({ tokenSigningKey: KEY }, { oauth: client });
    expect(messages(one)).toEqual([]);
    expect(one.data?.connections.ys?.scim.oauth).toEqual([{ ...client, tokenTtlSeconds: 3600 }]);
    const two = parse({ tokenSigningKey: [KEY, `${KEY}2`] }, { oauth: [client, { ...client, clientSecret: 't'.repeat(20), tokenTtlSeconds: 600 }] });
    expect(messages(two)).toEqual([]);
    expect(two.data?.http.tokenSigningKey).toEqual([KEY, `${KEY}2`]);
  });

  it('needs a signing key once a connection uses OAuth, and names the connection', () => {
    expect(messages(parse({}, { oauth: client }))).toEqual(['http.tokenSigningKey: required when a connection uses scim.oauth (ys): a random string of at least 32 characters']);
  });

  it.each([
    [{ tokenSigningKey: 'short' }, { oauth: client }, /signing key must be at least 32/],
    [{ tokenSigningKey: KEY }, { oauth: { ...client, clientSecret: 'short' } }, /client secret must be at least 16/],
    [{ tokenSigningKey: KEY }, { oauth: { ...client, clientId: 'has space' } }, /client id uses letters/],
    [{ tokenSigningKey: KEY }, { oauth: { ...client, tokenTtlSeconds: 86_400 } }, /at most 21600/],
    [{ tokenSigningKey: KEY }, { oauth: [] }, /at least one client/],
    [{ tokenSigningKey: KEY }, { oauth: { ...client, scope: 'x' } }, /Unrecognized key/],
  ])('refuses %j %j', (http, scim, message) => {
    expect(messages(parse(http, scim)).join('\n')).toMatch(message);
  });

  it('OAuth alone is enough credentials for a connection', () => {
    expect(messages(parse({ tokenSigningKey: KEY }, { oauth: client }))).toEqual([]);
    expect(messages(parse({}, {})).join()).toMatch(/give at least one token/);
  });
});
