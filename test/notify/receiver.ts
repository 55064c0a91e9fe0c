import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link Receiver} got. */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A webhook receiver on 127.0.0.1 that answers the scripted statuses in turn, then `fallback`. */
export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses for the next requests, in order. */
  script: number[];
  fallback: number;
  close(): Promise<void>;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startReceiver(fallback = 200): Promise<Receiver> {
  const receiver: Omit<Receiver, 'url' | 'close'> = { received: [], script: [], fallback };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = receiver.script.shift() ?? receiver.fallback;
      receiver.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks/scim?token=receiver-query-token-1234`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as Receiver;
}
