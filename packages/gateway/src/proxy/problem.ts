/**
 * problem+json answers written straight to a Node response (the proxy path
 * runs below Fastify). Codes, statuses, titles and `type` URIs are the kit's
 * taxonomy (`@flotilla/kit` ErrorCode), the same every service answers with.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '@flotilla/kit';
import { PROBLEM_CONTENT_TYPE, problemBody, statusOf } from '@flotilla/http';

export interface GatewayProblem {
  code: ErrorCode;
  detail: string;
  extensions?: Record<string, unknown>;
  /** Extra response headers as a flat [name, value, …] array (e.g. `allow`). */
  headers?: string[];
  /** The exact status to answer with (an injected fault's), instead of the code's. */
  status?: number | undefined;
}

/** Writes the problem unless headers already left; then the only honest signal left is cutting the connection. */
export function sendProblem(
  res: ServerResponse,
  problem: GatewayProblem,
  instance: string,
  requestId: string,
  closeConnection = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const status = problem.status ?? statusOf(problem.code);
  const body = JSON.stringify(problemBody(problem.code, problem.detail, instance, requestId, problem.extensions, status));
  const headers = [
    'content-type',
    PROBLEM_CONTENT_TYPE,
    'content-length',
    String(Buffer.byteLength(body)),
    'x-request-id',
    requestId,
    'cache-control',
    'no-store',
  ];
  if (closeConnection) headers.push('connection', 'close');
  if (problem.headers !== undefined) headers.push(...problem.headers);
  res.writeHead(status, headers);
  res.end(body);
}
