import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { rawScimErrorResponse } from './errors.js';

/**
 * Requests that Node's HTTP parser refuses never reach express: headers or a URL larger than the
 * parser accepts (16 KB by default), a malformed request line, header or chunked body, a client
 * too slow to send its headers. Node would answer them with a bare status line; this hook answers
 * with the same RFC 7644 error body as every other refusal (src/http/errors.ts).
 */

/** What Node passes to a server's `clientError` listener. */
export type ParserError = Error & { code?: string; rawPacket?: Buffer; bytesParsed?: number };

const messages: Record<string, string> = {
  HPE_INVALID_METHOD: 'the request method is not valid HTTP',
  HPE_INVALID_URL: 'the request URL is not valid HTTP',
  HPE_INVALID_VERSION: 'the request line does not name a valid HTTP version',
  HPE_INVALID_HEADER_TOKEN: 'a request header name is not valid HTTP',
  HPE_INVALID_CONTENT_LENGTH: 'the Content-Length header is not valid',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'the request has both Content-Length and Transfer-Encoding: chunked',
  HPE_INVALID_TRANSFER_ENCODING: 'the Transfer-Encoding header is not valid',
  HPE_INVALID_CHUNK_SIZE: 'the chunked request body is malformed',
  HPE_INVALID_EOF_STATE: 'the request ended before it was complete',
  HPE_LF_EXPECTED: 'a request line or header does not end with CRLF',
  HPE_CR_EXPECTED: 'a request line or header does not end with CRLF',
};

/** The bridge error of a parser error; null when the client is gone and nothing can be answered. */
export function parserErrorOf(err: ParserError): BridgeError | null {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return null;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return isRequestLineUnfinished(err)
      ? new BridgeError('URI_TOO_LONG', 'the request URL is longer than the server accepts (the request line and headers may hold 16 KB); send long filters with fewer characters')
      : new BridgeError('HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts (the request line and headers may hold 16 KB)');
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT') {
    return new BridgeError('REQUEST_TIMEOUT', 'the request was not received in time', { retryAfterMs: 1_000 });
  }
  return new BridgeError('INVALID_SYNTAX', messages[err.code ?? ''] ?? 'the request is not valid HTTP/1.1');
}

/**
 * Whether the parser gave up inside the request line: the bytes it was reading start with a
 * method and hold no line break yet. A URL spread over several network packets is seen from its
 * last packet only, and is then reported as too large headers, which is also true.
 */
function isRequestLineUnfinished(err: ParserError): boolean {
  const packet = err.rawPacket;
  if (!packet) return false;
  const head = packet.subarray(0, Math.min(packet.length, err.bytesParsed ?? packet.length)).toString('latin1');
  return /^[A-Z]+ \S/.test(head) && !head.includes('\n');
}

/** The server's `clientError` listener: answers with a SCIM error and closes the connection. */
export function clientErrorHandler(logger: Logger): (err: ParserError, socket: Duplex) => void {
  return (err, socket) => {
    const error = parserErrorOf(err);
    if (!error || !socket.writable) {
      socket.destroy();
      return;
    }
    // The request this error belongs to may already be answered (a 401 before a broken body):
    // let that answer go out, and close.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (inFlight?.headersSent) {
      socket.end();
      return;
    }
    const requestId = randomUUID();
    logger.info('request rejected by the HTTP parser', { requestId, code: error.code, parser: err.code, detail: error.message });
    socket.end(rawScimErrorResponse(error, requestId));
  };
}
