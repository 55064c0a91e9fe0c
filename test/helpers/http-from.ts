import http from 'node:http';
import net from 'node:net';

/**
 * Requests that supertest cannot make: from another loopback address (127.0.0.2 is a different
 * client to the bridge, as a second machine would be), and raw bytes that never reach express.
 */

/** What {@link requestFrom} answers. */
export interface PlainResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined. */
  body: Record<string, unknown> | undefined;
}

/** Options of {@link requestFrom}. */
export interface RequestFromOptions {
  method?: string;
  /** The client's own address (any 127.x.y.z works on Linux). */
  from?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One HTTP request to `url` from the address `from`, on a fresh connection. */
export function requestFrom(url: string, options: RequestFromOptions = {}): Promise<PlainResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: { ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) },
        agent: false,
        ...(options.from ? { localAddress: options.from } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parseJson(text) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes raw bytes to `host:port` and resolves with everything the server sent until it closed. */
export function rawExchange(url: string, bytes: string): Promise<{ statusLine: string; headers: Record<string, string>; text: string; body: Record<string, unknown> | undefined }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname, () => socket.write(bytes));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = received.indexOf('\r\n\r\n');
      const head = split === -1 ? received : received.slice(0, split);
      const text = split === -1 ? '' : received.slice(split + 4);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ statusLine, headers, text, body: parseJson(text) });
    });
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
