import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withFailureLog } from '../../../src/http/auth-failure-log.js';
import { createMemoryAuthFailureLimiter } from '../../../src/http/auth-failures.js';
import { createLogger } from '../../../src/logging/logger.js';

/** Refused credentials: one warn per connection and window, saying how many were left out; the rest debug. */

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => { level: string; message: string; [key: string]: unknown }[] } {
  const chunks: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger({ level: 'debug', format: 'json', stream });
  return { logger, lines: () => chunks.join('').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { level: string; message: string }) };
}

describe('the authentication failure log', () => {
  it('warns once per connection and window, then counts what it left out', async () => {
    let now = 1_000_000;
    const { logger, lines } = capture();
    const limiter = withFailureLog(createMemoryAuthFailureLimiter(), logger, { windowMs: 60_000, now: () => now });
    const source = { connection: 'okta', client: '203.0.113.7' };
    for (let i = 0; i < 4; i++) await limiter.recordFailure(source, now);
    await limiter.recordFailure({ connection: 'entra', client: '203.0.113.8' }, now);
    now += 60_000;
    await limiter.recordFailure(source, now);
    await new Promise((resolve) => setImmediate(resolve));
    const failed = lines().filter((l) => l.message === 'authentication failed');
    expect(failed.map((l) => [l.level, l.connection])).toEqual([
      ['warn', 'okta'], ['debug', 'okta'], ['debug', 'okta'], ['debug', 'okta'], ['warn', 'entra'], ['warn', 'okta'],
    ]);
    expect(failed[0]).toMatchObject({ client: '203.0.113.7', braked: false });
    expect(failed[0]).not.toHaveProperty('suppressed');
    expect(failed[5]).toMatchObject({ suppressed: 3 });
  });

  it('passes the brake through: a braked source still gets its wait', async () => {
    const { logger, lines } = capture();
    const limiter = withFailureLog(createMemoryAuthFailureLimiter({ burst: 1, perMinute: 1 }), logger);
    const source = { connection: 'okta', client: '203.0.113.9' };
    expect(await limiter.recordFailure(source)).toBeNull();
    expect(await limiter.recordFailure(source)).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines().filter((l) => l.message === 'authentication failed').map((l) => l.braked)).toEqual([false, true]);
  });
});
