import { describe, expect, it } from 'vitest';
import { createMemoryAuthFailureLimiter } from '../../../src/http/auth-failures.js';

describe('the in-process brake on failed authentications', () => {
  it('lets a burst pass, then answers the wait, and gives one failure back per refill period', async () => {
    const limiter = createMemoryAuthFailureLimiter({ burst: 3, perMinute: 30 });
    const source = { connection: 'a', client: '10.0.0.1' };
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(await limiter.recordFailure(source, t0)).toBeNull();
    const wait = await limiter.recordFailure(source, t0);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(2_000);
    expect(await limiter.recordFailure(source, t0 + 2_000)).toBeNull();
    expect(await limiter.recordFailure(source, t0 + 2_000)).not.toBeNull();
  });

  it('counts each connection and each client apart', async () => {
    const limiter = createMemoryAuthFailureLimiter({ burst: 1, perMinute: 1 });
    expect(await limiter.recordFailure({ connection: 'a', client: 'x' }, 0)).toBeNull();
    expect(await limiter.recordFailure({ connection: 'a', client: 'x' }, 0)).not.toBeNull();
    expect(await limiter.recordFailure({ connection: 'b', client: 'x' }, 0)).toBeNull();
    expect(await limiter.recordFailure({ connection: 'a', client: 'y' }, 0)).toBeNull();
    // A key made of both parts cannot be forged by a client address that contains a separator.
    expect(await limiter.recordFailure({ connection: 'a:x', client: '' }, 0)).toBeNull();
  });
});
