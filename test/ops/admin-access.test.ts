import express from 'express';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAccess, adminAccessMode, isLoopbackHost } from '../../src/http/admin-access.js';
import { errorMiddleware } from '../../src/http/errors.js';
import { createSilentLogger } from '../../src/logging/logger.js';

/**
 * The access rule of /metrics and /status. The rule depends on the configured listen address,
 * not on the client's, so it is tested on 127.0.0.1 with the address a bridge would be given:
 * no test opens a port on another interface.
 */

const TOKEN = 'admin-token-for-the-rule-0123';

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['192.168.1.10', false],
    ['scim.example.com', false],
    ['127.example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('adminAccess', () => {
  const servers: http.Server[] = [];
  const serve = async (host: string, adminToken?: string): Promise<supertest.Agent> => {
    const app = express();
    app.get('/status', adminAccess({ host, adminToken }), (_req, res) => void res.send('status'));
    app.use(errorMiddleware(createSilentLogger()));
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return supertest.agent(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  };
  let open: supertest.Agent;
  let exposed: supertest.Agent;
  let exposedWithToken: supertest.Agent;
  let loopbackWithToken: supertest.Agent;

  beforeAll(async () => {
    open = await serve('127.0.0.1');
    exposed = await serve('0.0.0.0');
    exposedWithToken = await serve('0.0.0.0', TOKEN);
    loopbackWithToken = await serve('::1', TOKEN);
  });
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  it('is open on a loopback address without a token', async () => {
    expect(adminAccessMode({ host: '127.0.0.1' })).toBe('loopback');
    await open.get('/status').expect(200, 'status');
  });

  it('is off on a non-loopback address without a token, and says what to set', async () => {
    expect(adminAccessMode({ host: '0.0.0.0' })).toBe('disabled');
    const response = await exposed.get('/status').set('Authorization', `Bearer ${TOKEN}`).expect(403);
    expect(response.body.detail).toContain('http.adminToken');
  });

  it('needs the token on a non-loopback address: 401 without it or with a wrong one', async () => {
    expect(adminAccessMode({ host: '0.0.0.0', adminToken: TOKEN })).toBe('token');
    const missing = await exposedWithToken.get('/status').expect(401);
    expect(missing.headers['www-authenticate']).toBeDefined();
    await exposedWithToken.get('/status').set('Authorization', `Bearer ${TOKEN}x`).expect(401);
    await exposedWithToken.get('/status').set('Authorization', `Bearer ${TOKEN.slice(0, -1)}`).expect(401);
    await exposedWithToken.get('/status').set('Authorization', TOKEN).expect(401);
    await exposedWithToken.get('/status').set('Authorization', `Basic ${Buffer.from(`admin:wrong`).toString('base64')}`).expect(401);
  });

  it('accepts the token as a Bearer token or as the password of HTTP Basic', async () => {
    await exposedWithToken.get('/status').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    await exposedWithToken.get('/status').set('Authorization', `bearer   ${TOKEN}`).expect(200);
    await exposedWithToken.get('/status').set('Authorization', `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}`).expect(200);
  });

  it('still needs a configured token on loopback (a local reverse proxy must not open it)', async () => {
    await loopbackWithToken.get('/status').expect(401);
    await loopbackWithToken.get('/status').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  });
});
