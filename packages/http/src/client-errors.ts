/**
 * Node's `clientError`: the HTTP parser refused the bytes on a connection, or
 * a request did not arrive within `requestTimeout`. No request object exists,
 * so no hook runs; the answer is a problem written on the socket itself
 * (replacing Fastify's and Node's own plain JSON or empty bodies):
 *
 * | parser error | answer |
 * |---|---|
 * | `ERR_HTTP_REQUEST_TIMEOUT` (headers or body too slow) | 408 `request-timeout` |
 * | `HPE_HEADER_OVERFLOW` (over `maxHeaderSize`, 16 KiB) | 431 `header-fields-too-large`, or 414 `uri-too-long` when the request line alone is the overflow |
 * | `HPE_INVALID_VERSION` naming a major version other than 1, `HPE_PAUSED_H2_UPGRADE` (the HTTP/2 preface) | 505 `http-version-not-supported` |
 * | anything else (bad request line, header, chunk, Content-Length, Transfer-Encoding) | 400 `bad-request` |
 *
 * Nothing is written when the client is gone (`ECONNRESET`) or when the
 * request was already answered (a response half sent, or a refused body still
 * being drained: a second status line would corrupt the first); the
 * connection is closed either way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ProblemCode } from './problem.ts';
import { type SocketProblem, writeSocketProblem } from './socket-problem.ts';

/** The exchange each connection is in (or last had), so a late parser error does not answer twice. */
export class ResponsesInFlight {
  readonly #bySocket = new WeakMap<object, { req: IncomingMessage; res: ServerResponse }>();

  track(req: IncomingMessage, res: ServerResponse): void {
    this.#bySocket.set(req.socket, { req, res });
  }

  /**
   * True when an error on `socket` may still be answered: no request was
   * parsed on it yet, the current one has no answer begun, or the last
   * exchange ended on both sides (the error is about a new request). Not
   * while a response is half sent, nor after the answer to a request whose
   * body is still arriving (a refused body being drained).
   */
  canAnswer(socket: object): boolean {
    const exchange = this.#bySocket.get(socket);
    if (exchange === undefined || !exchange.res.headersSent) return true;
    return exchange.res.writableFinished && exchange.req.complete;
  }
}

/** Node sets `rawPacket` to the bytes the parser was reading (a Buffer), though Fastify's types say otherwise. */
type ConnectionError = Error & { code?: string; rawPacket?: unknown };

/** A `clientError` listener answering with problems; sockets are answered once. */
export function clientErrorHandler(logger: Logger, inFlight: ResponsesInFlight): (error: ConnectionError, socket: Socket) => void {
  const answered = new WeakSet<Socket>();
  return (error, socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    if (error.code === 'ECONNRESET' || socket.destroyed || !inFlight.canAnswer(socket)) {
      socket.destroy();
      return;
    }
    const problem = problemFor(error);
    const requestId = writeSocketProblem(socket, problem);
    logger.debug(
      {
        event: { action: 'http-client-error' },
        error: { code: error.code ?? 'unknown' },
        http: { request: { id: requestId } },
        client: { address: socket.remoteAddress },
      },
      `refused a request the HTTP parser could not accept (${error.code ?? 'unknown'}): ${problem.code}`,
    );
  };
}

const DETAILS: Partial<Record<ProblemCode, string>> = {
  'request-timeout': 'The request did not arrive in full within the time this server allows',
  'header-fields-too-large': 'The request header section is larger than this server accepts',
  'uri-too-long': 'The request target is longer than this server accepts',
  'http-version-not-supported': 'This server speaks HTTP/1.0 and HTTP/1.1 only',
  'bad-request': 'The request is not valid HTTP/1.1 (request line, header fields or body framing)',
};

export function problemFor(error: ConnectionError): SocketProblem {
  const code = codeFor(error);
  return { code, detail: DETAILS[code] as string };
}

function codeFor(error: ConnectionError): ProblemCode {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return 'request-timeout';
    case 'HPE_HEADER_OVERFLOW':
      return requestLineOverflows(packetOf(error)) ? 'uri-too-long' : 'header-fields-too-large';
    case 'HPE_INVALID_VERSION':
      // Also what a request line ending in a bare LF gives: only a version with another major number is a 505.
      return otherMajorVersion(packetOf(error)) ? 'http-version-not-supported' : 'bad-request';
    case 'HPE_PAUSED_H2_UPGRADE':
      // The HTTP/2 connection preface (`PRI * HTTP/2.0`): a client speaking HTTP/2 with prior knowledge.
      return 'http-version-not-supported';
    default:
      return 'bad-request';
  }
}

function packetOf(error: ConnectionError): Buffer | undefined {
  return Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined;
}

/** The request line names a version whose major number is not 1 (`HTTP/2.0`, `HTTP/3.0`). */
function otherMajorVersion(raw: Buffer | undefined): boolean {
  if (raw === undefined) return false;
  const end = raw.indexOf(0x0a);
  const line = raw.subarray(0, end === -1 ? raw.length : end).toString('latin1');
  const version = / HTTP\/([0-9])\.[0-9]\r$/.exec(line);
  return version !== null && version[1] !== '1';
}

/** A request line this long is what overflowed the header section: the target is what is too long. */
const LONG_REQUEST_LINE = 8192;

/** The overflowing bytes start with a request line of at least LONG_REQUEST_LINE bytes (or one that has not ended). */
function requestLineOverflows(raw: Buffer | undefined): boolean {
  if (raw === undefined || !/^[A-Z][A-Z-]* \S/.test(raw.subarray(0, 64).toString('latin1'))) return false;
  const end = raw.indexOf(0x0a);
  return end === -1 || end >= LONG_REQUEST_LINE;
}
