import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../../src/config/load.js';

const good = `
listen: { host: 127.0.0.1, port: 8080 }
store: sqlite:./data/bridge.db
connections:
  redis-cloud:
    type: redis-cloud
    scim:
      tokens: ["\${SCIM_TOKEN_RC}"]
    target: { url: https://api.redislabs.com/v1, apiKey: "\${RC_KEY}", apiSecretKey: "\${RC_SECRET:-fallback-secret}" }
  paradime:
    type: paradime
    mode: strict
    scim: { tokens: [paradime-token-0123456789] }
    target: { url: "https://api.paradime.io/api/v1/\${PD_TOKEN}/graphql", apiKey: pd-key-1234, apiSecret: pd-secret-1234 }
`;
const env = { SCIM_TOKEN_RC: 'rc-scim-token-abcdef', RC_KEY: 'rc-key-99', PD_TOKEN: 'wsp123' };

const issuesOf = (text: string, environment: NodeJS.ProcessEnv = env): string[] => {
  try {
    loadConfigFile('/etc/bridge.yaml', environment, text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('loads, interpolates ${VAR} and ${VAR:-default}, and applies defaults', () => {
    const loaded = loadConfigFile('/etc/bridge.yaml', env, good);
    const rc = loaded.connections.find((c) => c.name === 'redis-cloud');
    expect(rc?.target).toMatchObject({ url: 'https://api.redislabs.com/v1', apiKey: 'rc-key-99', apiSecretKey: 'fallback-secret' });
    expect(rc?.mode).toBe('eventual');
    expect(rc?.mappingPath).toBe('/etc/mappings/redis-cloud.yaml');
    expect(loaded.connections.find((c) => c.name === 'paradime')?.target.url).toBe('https://api.paradime.io/api/v1/wsp123/graphql');
    expect(loaded.secrets).toEqual(expect.arrayContaining(['rc-scim-token-abcdef', 'rc-key-99', 'fallback-secret', 'pd-secret-1234', 'wsp123']));
  });

  it('names every problem with its line and path', () => {
    const text = `
connections:
  paradime:
    type: paradime
    scim: { tokens: [short] }
    target: { url: not-a-url, apiKey: k, apiSecret: s }
  bad_name:
    type: nope
    scim: { tokens: [long-enough-token-1] }
    target: {}
unknownTop: 1
`;
    const issues = issuesOf(text);
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringMatching(/^5 connections\.paradime\.scim\.tokens\[0\]: a SCIM token must be at least 12 characters/),
      expect.stringMatching(/^8 connections\.bad_name: .*"-"/),
      expect.stringMatching(/^8 connections\.bad_name\.type: expected one of redis-cloud/),
      '11 unknownTop: unknown field',
    ]));
  });

  it('checks each target block with its connector schema', () => {
    const issues = issuesOf(`
connections:
  paradime:
    type: paradime
    scim: { tokens: [long-enough-token-1] }
    target: { url: not-a-url, apiKey: k, apiSecret: s }
`);
    expect(issues.some((i) => i.startsWith('6 connections.paradime.target.url'))).toBe(true);
  });

  it('reports an unset environment variable with its path', () => {
    expect(issuesOf(good, { RC_KEY: 'x', PD_TOKEN: 'y' })).toContain('8 connections.redis-cloud.scim.tokens[0]: environment variable SCIM_TOKEN_RC is not set');
  });

  it('reports YAML syntax errors with a line', () => {
    expect(issuesOf('connections:\n  a: [unclosed\n')[0]).toMatch(/^\d+ \(yaml\): /);
  });

  it('reports only the first YAML syntax error, with its column (one bad line gave 13 problems)', () => {
    const text = good.replace('    type: redis-cloud\n', '    type: redis-cloud\n   bad: [x\n');
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^7 \(yaml\): .+ \(column \d+\)$/);
  });

  it('reports an unset variable once: which variable, where (not also "must not be empty" and "Too small")', () => {
    expect(issuesOf(good, { PD_TOKEN: 'y' })).toEqual([
      '8 connections.redis-cloud.scim.tokens[0]: environment variable SCIM_TOKEN_RC is not set',
      '9 connections.redis-cloud.target.apiKey: environment variable RC_KEY is not set',
    ]);
  });

  it('says what is missing and shows its shape (not "expected object, received undefined")', () => {
    const issues = issuesOf(`
connections:
  rc:
    type: redis-cloud
    target: { url: https://api.redislabs.com/v1, apiKey: k, apiSecretKey: s }
`);
    expect(issues).toEqual(['4 connections.rc.scim: missing: the SCIM credentials the IdP sends, like scim: { tokens: ["${SCIM_TOKEN}"] } (or basic: { username, password })']);
    expect(issuesOf('connections:\n  rc:\n    type: redis-cloud\n    scim:\n    target: { url: https://api.redislabs.com/v1, apiKey: k, apiSecretKey: s }\n')[0]).toMatch(/^\d+ connections\.rc\.scim: missing: the SCIM credentials/);
    expect(issuesOf('listen: { port: 8080 }\n')).toEqual(['1 connections: missing: at least one connection, like connections: { redis-cloud: { type: redis-cloud, scim: { tokens: [...] }, target: { url: ..., ... } } }']);
    const target = issuesOf(`
connections:
  rc:
    type: redis-cloud
    scim: { tokens: [long-enough-token-1] }
    target: { url: https://api.redislabs.com/v1, apiSecretKey: s }
`);
    expect(target).toEqual(['6 connections.rc.target.apiKey: missing: a string is required here']);
  });

  it('quotes a bad URL as written (not just "Invalid URL")', () => {
    const issues = issuesOf(`
publicUrl: scim.example.com
connections:
  paradime:
    type: paradime
    scim: { tokens: [long-enough-token-1] }
    target: { url: "htp//api.paradime.io", apiKey: k, apiSecret: s }
  from-env:
    type: paradime
    scim: { tokens: [long-enough-token-1] }
    target: { url: "\${PD_TOKEN}", apiKey: k, apiSecret: s }
`);
    expect(issues).toEqual([
      '2 publicUrl: expected an http(s) URL like https://scim.example.com, got "scim.example.com"',
    ]);
    const targets = issuesOf(`
connections:
  paradime:
    type: paradime
    scim: { tokens: [long-enough-token-1] }
    target: { url: "htp//api.paradime.io", apiKey: k, apiSecret: s }
  from-env:
    type: paradime
    scim: { tokens: [long-enough-token-1] }
    target: { url: "\${PD_TOKEN}", apiKey: k, apiSecret: s }
`);
    expect(targets).toEqual([
      '6 connections.paradime.target.url: expected an http(s) URL like https://api.example.com, got "htp//api.paradime.io"',
      '10 connections.from-env.target.url: expected an http(s) URL like https://api.example.com, got "${PD_TOKEN}" (its value is not shown: values from the environment are treated as secrets)',
    ]);
  });

  it('says "must not be empty" rather than zod\'s "Too small"', () => {
    const issues = issuesOf(`
connections:
  rc:
    type: redis-cloud
    scim: { tokens: [long-enough-token-1], basic: { username: "", password: long-enough-password } }
    target: { url: https://api.redislabs.com/v1, apiKey: k, apiSecretKey: s }
`);
    expect(issues).toEqual(['5 connections.rc.scim.basic.username: must not be empty']);
  });

  it('sync.roleCacheMs: 60000 by default, as written when given', () => {
    const withCache = good.replace('    mode: strict\n', '    mode: strict\n    sync: { roleCacheMs: 300000 }\n');
    const connections = loadConfigFile('/etc/bridge.yaml', env, withCache).connections;
    expect(connections.find((c) => c.name === 'paradime')?.sync.roleCacheMs).toBe(300_000);
    expect(connections.find((c) => c.name === 'redis-cloud')?.sync.roleCacheMs).toBe(60_000);
  });

  it.each([
    ['500', /^6 connections\.rc\.sync\.roleCacheMs: must be at least 1000 \(1 s\)/],
    ['1500.5', /^6 connections\.rc\.sync\.roleCacheMs: expected a whole number of milliseconds, like 60000 \(1 min\)/],
    ['"5m"', /^6 connections\.rc\.sync\.roleCacheMs: expected a whole number of milliseconds, like 60000 \(1 min\)/],
    ['172800000', /^6 connections\.rc\.sync\.roleCacheMs: must be at most 86400000 \(24 h\)/],
  ])('sync.roleCacheMs: %s is refused with a message that says what fits', (value, message) => {
    const issues = issuesOf(`
connections:
  rc:
    type: redis-cloud
    scim: { tokens: [long-enough-token-1] }
    sync: { roleCacheMs: ${value} }
    target: { url: https://api.redislabs.com/v1, apiKey: k, apiSecretKey: s }
`);
    expect(issues).toEqual([expect.stringMatching(message)]);
  });

  it('reports a missing file', () => {
    try {
      loadConfigFile('/nonexistent/bridge.yaml', env);
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).message).toContain('file not found');
    }
  });
});
