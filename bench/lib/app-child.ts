import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import { serveParent } from './ipc.js';
import { profilerHandlers } from './profiler.js';

/**
 * A child process that serves one app on 127.0.0.1 (a free port) for its parent: ready once it
 * listens (with its `url`), answers the profiler's questions, and on stop closes its connections,
 * then `close` (what the app opened: a database).
 */
export function serveAppChild(build: () => Promise<RequestListener> | RequestListener, close: () => Promise<void> = async () => undefined): void {
  let server: http.Server | null = null;
  const start = async (): Promise<{ url: string }> => {
    server = http.createServer(await build());
    await new Promise<void>((resolve) => (server as http.Server).listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  serveParent(start, profilerHandlers(), async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await close();
  });
}
