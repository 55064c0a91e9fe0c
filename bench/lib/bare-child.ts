import express from 'express';
import { serveAppChild } from './app-child.js';

/**
 * Child process entry: the baseline of the read benchmark. A bare express 5 app that answers
 * `GET /bare` with a fixed JSON body (the bridge's own answer to one filtered read, so both
 * send the same bytes), on the same Node and the same kind of process as the bridge.
 */

const body = JSON.parse(process.env.BENCH_BARE_BODY ?? '{}') as Record<string, unknown>;

serveAppChild(() => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/bare', (_req, res) => void res.json(body));
  return app;
});
