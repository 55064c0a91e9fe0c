import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../../src/logging/logger.js';

describe('log redaction', () => {
  it('blanks secret-looking keys and known secret values anywhere', () => {
    const out = redact({ authorization: 'Bearer abc', nested: { apiSecretKey: 's', note: 'the token is tok-12345 here' }, list: ['tok-12345'], ok: true }, ['tok-12345']);
    expect(out).toEqual({ authorization: '[redacted]', nested: { apiSecretKey: '[redacted]', note: 'the token is [redacted] here' }, list: ['[redacted]'], ok: true });
  });

  it('writes JSON lines without the secrets', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const logger = createLogger({ format: 'json', stream, secrets: ['super-secret-value'] });
    logger.child({ requestId: 'r1' }).info('calling with super-secret-value', { password: 'p', headers: { 'x-api-key': 'k' } });
    await new Promise((resolve) => setImmediate(resolve));
    const line = JSON.parse(chunks.join('')) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', message: 'calling with [redacted]', requestId: 'r1', password: '[redacted]', headers: { 'x-api-key': '[redacted]' } });
    expect(chunks.join('')).not.toContain('super-secret-value');
  });
});

describe('redaction keeps ordinary text', () => {
  it('blanks a secret of meaningful length wherever it appears, and leaves words that merely contain a short one', () => {
    expect(redact('admin@sandbox.local at /api/v1/sandbox/graphql', ['sandbox'])).toBe('admin@sandbox.local at /api/v1/sandbox/graphql');
    expect(redact({ identity: 'admin@sandbox.local', note: 'key rc-key-Q7mZp2Lx9w rejected' }, ['sandbox', 'rc-key-Q7mZp2Lx9w'])).toEqual({ identity: 'admin@sandbox.local', note: 'key [redacted] rejected' });
  });

  it('still blanks short secrets where they sit under a secret key', () => {
    expect(redact({ password: 'sandbox', apiKey: 'abc', nested: { clientSecret: 'x' } }, [])).toEqual({ password: '[redacted]', apiKey: '[redacted]', nested: { clientSecret: '[redacted]' } });
  });
});

describe('redaction copies only what it blanks', () => {
  it('returns a value without secrets as it is, and never changes the caller objects', () => {
    const plain = { requestId: 'r1', method: 'GET', nested: { list: [1, 'two'] } };
    expect(redact(plain, ['tok-12345678'])).toBe(plain);
    const mixed = { keep: { a: 1 }, nested: { token: 'tok-12345678', note: 'x' }, list: ['ok', 'tok-12345678'] };
    const out = redact(mixed, ['tok-12345678']) as typeof mixed;
    expect(out).toEqual({ keep: { a: 1 }, nested: { token: '[redacted]', note: 'x' }, list: ['ok', '[redacted]'] });
    expect(out.keep).toBe(mixed.keep);
    expect(mixed).toEqual({ keep: { a: 1 }, nested: { token: 'tok-12345678', note: 'x' }, list: ['ok', 'tok-12345678'] });
  });

  it('logs a line with a nested secret without changing the object the caller passed', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const logger = createLogger({ format: 'json', stream, secrets: ['super-secret-value'] });
    const details = { headers: { authorization: 'Bearer super-secret-value' }, note: 'super-secret-value' };
    logger.info('call', { details, when: new Date(0) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(chunks.join(''))).toMatchObject({ details: { headers: { authorization: '[redacted]' }, note: '[redacted]' } });
    expect(details).toEqual({ headers: { authorization: 'Bearer super-secret-value' }, note: 'super-secret-value' });
  });
});
