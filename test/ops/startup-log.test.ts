import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStore, safeUrl } from '../../src/observability/startup.js';
import { ADMIN_TOKEN, secretsIn, startOpsBridge, type OpsBridge } from './ops-bridge.js';

describe('describeStore and safeUrl', () => {
  it.each([
    ['sqlite:./data/bridge.db', 'sqlite', path.resolve('./data/bridge.db')],
    ['sqlite:/var/lib/scim-bridge/bridge.db', 'sqlite', '/var/lib/scim-bridge/bridge.db'],
    ['sqlite::memory:', 'sqlite', ':memory:'],
    ['postgres://bridge:s3cret-Pa55@db.internal:6432/scim?sslmode=require', 'postgres', 'db.internal:6432/scim'],
    ['postgresql://bridge:s3cret-Pa55@db.internal/scim?password=other-S3cret', 'postgres', 'db.internal:5432/scim'],
  ])('%s → %s %s', (url, kind, location) => {
    expect(describeStore(url)).toEqual({ kind, location });
  });

  it('drops credentials, query and fragment from target URLs', () => {
    expect(safeUrl('https://user:pa55word@cluster.example.com:9443/v1?token=abc#x')).toBe('https://cluster.example.com:9443/v1');
    expect(safeUrl('not a url')).toBe('(unparsable URL)');
  });
});

describe('the startup log line', () => {
  let ops: OpsBridge;
  let line: Record<string, unknown>;

  beforeAll(async () => {
    ops = await startOpsBridge({
      types: ['yardstik', 'redis-enterprise'],
      connection: { mode: 'strict', drift: 'report' },
      config: { http: { requestsPerMinute: 100_000, adminToken: ADMIN_TOKEN } },
    });
    const lines = ops.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const started = lines.find((l) => l.message === 'scim-bridge started');
    if (!started) throw new Error(`no startup line in:\n${ops.logs.join('')}`);
    line = started;
  });
  afterAll(() => ops.close());

  it('says what runs where: URL, TLS, store, each connection with its mode, the admin pages', () => {
    expect(line).toMatchObject({
      url: ops.bridge.url,
      tls: false,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      config: path.join(ops.dir, 'bridge.yaml'),
      store: `sqlite ${path.join(ops.dir, 'bridge.db')}`,
      admin: { metrics: `${ops.bridge.url}/metrics`, status: `${ops.bridge.url}/status`, access: 'token' },
      workers: true,
      trustProxy: false,
    });
    const connections = line.connections as Record<string, unknown>[];
    expect(connections.map((c) => [c.name, c.type, c.mode, c.drift])).toEqual([
      ['yardstik', 'yardstik', 'strict', 'report'],
      ['redis-enterprise', 'redis-enterprise', 'strict', 'report'],
    ]);
    for (const connection of connections) {
      expect(connection.scim).toBe(`${ops.bridge.url}/scim/v2/${String(connection.name)}`);
      expect(connection.auth).toEqual(['bearer']);
      expect(String(connection.target)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    }
  });

  it('holds no secret, not even redacted', () => {
    expect(ops.secrets).toEqual(expect.arrayContaining([ADMIN_TOKEN]));
    expect(secretsIn(JSON.stringify(line), ops.secrets)).toEqual([]);
    expect(JSON.stringify(line)).not.toContain('[redacted]');
    expect(secretsIn(ops.logs.join('\n'), ops.secrets)).toEqual([]);
  });
});
