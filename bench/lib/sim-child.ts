import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveParent } from './ipc.js';

/**
 * Child process entry: the Redis Enterprise simulator with a fixed latency per target call,
 * behind a counter of every target call (method, route, time), so the parent can compute the
 * sustained call rate. Control routes (`/_sim/`) are not counted.
 */

const latencyMs = Number(process.env.BENCH_SIM_LATENCY_MS ?? '0');
const simulator = connectorRegistry['redis-enterprise'].createSimulator({ latencyMs });
const calls: { at: number; route: string }[] = [];
let inFlight = 0;
let peakInFlight = 0;
let server: http.Server | null = null;

async function start(): Promise<{ url: string; credentials: Record<string, string> }> {
  const app = express();
  app.use((req, res, next) => {
    if (!req.path.startsWith('/_sim')) {
      peakInFlight = Math.max(peakInFlight, ++inFlight);
      res.once('close', () => inFlight--);
      // Counted when the answer is sent, so the rate is the rate of completed calls.
      res.once('finish', () => calls.push({ at: Date.now(), route: `${req.method} ${req.path.replace(/\/\d+(?=\/|$)/g, '/{uid}')} ${res.statusCode}` }));
    }
    next();
  });
  app.use(simulator.app);
  server = http.createServer(app);
  await new Promise<void>((resolve) => (server as http.Server).listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: simulator.targetUrl(url), credentials: simulator.credentials };
}

serveParent(
  start,
  {
    // Completed target calls since `since` (epoch ms): completion times, counts by route and status,
    // and the most calls in progress at once (since the previous question).
    calls: (body) => {
      const since = Number(body ?? 0);
      const recent = calls.filter((c) => c.at >= since);
      const byRoute: Record<string, number> = {};
      for (const call of recent) byRoute[call.route] = (byRoute[call.route] ?? 0) + 1;
      const peak = peakInFlight;
      peakInFlight = inFlight;
      return { times: recent.map((c) => c.at), byRoute, peak };
    },
  },
  async () => {
    simulator.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  },
);
