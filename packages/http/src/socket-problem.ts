/**
 * A problem answered where no Fastify reply exists: on the bare socket (the
 * parser gave up on the request) or on a Node response Fastify never saw.
 * Always a whole HTTP/1.1 message (status line, content type and length,
 * `connection: close`), then the connection ends: after such an error the
 * bytes that follow cannot be trusted to start a request.
 */
import { randomUUID } from 'node:crypto';
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { REQUEST_ID_HEADER } from '@flotilla/telemetry';
import { PROBLEM_CONTENT_TYPE, type ProblemCode, problemBody, statusOf } from './problem.ts';

export interface SocketProblem {
  code: ProblemCode;
  detail: string;
  /** Extra header lines as [name, value] pairs (e.g. `allow`). */
  headers?: Array<[string, string]>;
}

/** Writes the problem on `socket` if it can still take it, then closes it; returns the request id it carried. */
export function writeSocketProblem(socket: Duplex, problem: SocketProblem): string {
  const requestId = randomUUID();
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return requestId;
  }
  const status = statusOf(problem.code);
  const body = JSON.stringify(problemBody(problem.code, problem.detail, undefined, requestId));
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    `${REQUEST_ID_HEADER}: ${requestId}`,
    'cache-control: no-store',
    'connection: close',
    ...(problem.headers ?? []).map(([name, value]) => `${name}: ${value}`),
  ];
  // Flushed, then closed: destroying at once could drop the answer on a busy socket.
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
  return requestId;
}

/** Answers on a Node response Fastify never saw (HEAD gets no body), closing the connection after it. */
export function sendResponseProblem(res: ServerResponse, requestId: string, instance: string | undefined, problem: SocketProblem): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problemBody(problem.code, problem.detail, instance, requestId));
  res.shouldKeepAlive = false;
  res.writeHead(statusOf(problem.code), [
    'content-type',
    PROBLEM_CONTENT_TYPE,
    'content-length',
    String(Buffer.byteLength(body)),
    REQUEST_ID_HEADER,
    requestId,
    'cache-control',
    'no-store',
    'connection',
    'close',
    ...(problem.headers ?? []).flat(),
  ]);
  res.end(body);
}
