/**
 * HTTP/1.1 over a bare TCP socket, for requests no HTTP client would send
 * (broken framing, raw CR/LF, unknown methods, bytes that are not UTF-8) and
 * for watching what the server does with the connection afterwards.
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** Undefined when the server closed the connection without answering. */
  status: number | undefined;
  /** Interim (1xx) statuses before it, e.g. 100 Continue. */
  interim: number[];
  /** Lower-cased names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection (seen, not assumed from `connection: close`). */
  closed: boolean;
}

export interface RawOptions {
  /** Half-close after writing, as a client with nothing more to send (default false: the connection stays open). */
  end?: boolean;
  /** The request is HEAD: the answer has headers only. */
  head?: boolean;
  /** Give up (and fail) after this long; a bound for a broken test, never an expectation (default 15 s). */
  timeoutMs?: number;
}

/**
 * Writes `request` (chunks in order) and resolves with the first answer once
 * it is complete; when it says `connection: close`, or is incomplete, also
 * waits until the server closes the connection.
 */
export function rawExchange(port: number, request: string | Buffer | Array<string | Buffer>, options: RawOptions = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(
      () => finish(new Error(`no complete answer within ${options.timeoutMs ?? 15_000} ms: ${preview(chunks)}`)),
      options.timeoutMs ?? 15_000,
    );
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(parse(Buffer.concat(chunks), options.head === true, closedByServer));
    };
    let closedByServer = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parse(Buffer.concat(chunks), options.head === true, false);
      if (answer.complete && answer.headers.connection?.toLowerCase() !== 'close') finish();
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    // A reset is the server closing too (it may come before the answer was read).
    socket.on('error', () => {
      closedByServer = true;
      finish();
    });
    socket.on('connect', () => writeAll(socket, [request].flat(), options.end === true));
  });
}

function writeAll(socket: Socket, parts: Array<string | Buffer>, end: boolean): void {
  for (const part of parts) socket.write(part);
  if (end) socket.end();
}

function preview(chunks: Buffer[]): string {
  return JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200));
}

function parse(all: Buffer, head: boolean, closed: boolean): RawAnswer & { complete: boolean } {
  const interim: number[] = [];
  let data = all;
  let end = data.indexOf('\r\n\r\n');
  let status = Number.NaN;
  for (;;) {
    if (end === -1) return { status: undefined, interim, headers: {}, body: '', closed, complete: false };
    status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data.subarray(0, 16).toString('latin1'))?.[1]);
    if (!(status >= 100 && status < 200)) break;
    interim.push(status);
    data = data.subarray(end + 4);
    end = data.indexOf('\r\n\r\n');
  }
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(end + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const bodyless = head || status === 204 || status === 304;
  const complete = bodyless || (length !== undefined ? rest.length >= length : closed);
  const body = bodyless ? '' : rest.subarray(0, length ?? rest.length).toString('utf8');
  return { status: Number.isNaN(status) ? undefined : status, interim, headers, body, closed, complete };
}

/** `METHOD path HTTP/1.1` with Host, the given header lines and body (Content-Length added when a body is given). */
export function requestText(method: string, path: string, headers: string[] = [], body?: string): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers];
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}
