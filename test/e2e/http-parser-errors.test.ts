import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { rawExchange } from '../helpers/http-from.js';
import { ERROR_SCHEMA } from './scim-assert.js';

/**
 * Requests Node's HTTP parser refuses before express sees them (RFC 9110 §15.5.15 414, RFC 6585
 * §5 431, malformed request lines and headers) still get an RFC 7644 §3.12 error body, and the
 * bridge goes on serving.
 */

describe('errors of the HTTP parser', () => {
  let tb: TestBridge;
  beforeAll(async () => {
    tb = await startTestBridge({ store: 'sqlite', types: ['yardstik'], runWorkers: false });
  });
  afterAll(() => tb.close());

  const expectScimError = (answer: Awaited<ReturnType<typeof rawExchange>>, status: number): void => {
    expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
    expect(typeof answer.body?.detail).toBe('string');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.text));
  };

  it('a URL longer than the parser accepts is 414 with a SCIM body', async () => {
    const answer = await rawExchange(tb.bridge.url, `GET /scim/v2/yardstik/Users?filter=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    expectScimError(answer, 414);
    expect(answer.body?.detail).toMatch(/URL/);
  });

  it('headers larger than the parser accepts are 431 with a SCIM body, one big header or many small ones', async () => {
    expectScimError(await rawExchange(tb.bridge.url, `GET /scim/v2/yardstik/Users HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`), 431);
    const many = Array.from({ length: 2_000 }, (_, i) => `X-H${i}: ${i}`).join('\r\n');
    expectScimError(await rawExchange(tb.bridge.url, `GET /scim/v2/yardstik/Users HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`), 431);
  });

  it.each([
    ['a bad method', 'BLAH\r\n\r\n'],
    ['a header name with a space', 'GET / HTTP/1.1\r\nHo st: x\r\n\r\n'],
    ['a broken chunked body', `POST /scim/v2/yardstik/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`],
    ['both Content-Length and chunked', 'POST /scim/v2/yardstik/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('%s is 400 with a SCIM body', async (_what, bytes) => {
    expectScimError(await rawExchange(tb.bridge.url, bytes), 400);
  });

  it('still serves afterwards', async () => {
    await tb.scim('yardstik').get('/Users?count=0').expect(200);
  });
});
