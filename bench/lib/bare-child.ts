import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from './ipc.js';
import { profilerHandlers } from './profiler.js';

/**
 * Child process entry: the baseline of the read benchmark. A bare express 5 app that answers
 * `GET /bare` with a fixed JSON body (the bridge's own answer to one filtered read, so both
 * send the same bytes), on the same Node and the same kind of process as the bridge.
 */

const body = JSON.parse(process.env.BENCH_BARE_BODY ?? '{}') as Record<string, unknown>;
let server: http.Server | null = null;

async function start(): Promise<{ url: string }> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/bare', (_req, res) => void res.json(body));
  server = http.createServer(app);
  await new Promise<void>((resolve) => (server as http.Server).listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

serveParent(start, profilerHandlers(), async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});
