/**
 * problem+json answers written straight to a Node response (the proxy path
 * runs below Fastify). Types follow the kit's `https://flotilla.dev/problems/<code>`;
 * `bad-gateway` and `method-not-allowed` are gateway-only codes the kit's
 * taxonomy does not have.
 */
import type { ServerResponse } from 'node:http';
import { PROBLEM_BASE_URI, PROBLEM_CONTENT_TYPE } from '@flotilla/kit/http';

export type GatewayProblemCode = 'bad-request' | 'not-found' | 'method-not-allowed' | 'bad-gateway' | 'unavailable' | 'deadline-exceeded' | 'internal';

const KINDS: Record<GatewayProblemCode, { status: number; title: string }> = {
  'bad-request': { status: 400, title: 'Malformed request' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'bad-gateway': { status: 502, title: 'Bad gateway' },
  unavailable: { status: 503, title: 'Service unavailable' },
  'deadline-exceeded': { status: 504, title: 'Gateway timeout' },
  internal: { status: 500, title: 'Internal server error' },
};

export interface GatewayProblem {
  code: GatewayProblemCode;
  detail: string;
  extensions?: Record<string, unknown>;
  headers?: string[];
}

export function problemStatus(code: GatewayProblemCode): number {
  return KINDS[code].status;
}

export function problemBody(problem: GatewayProblem, instance: string, requestId: string): Record<string, unknown> {
  const kind = KINDS[problem.code];
  return { type: PROBLEM_BASE_URI + problem.code, title: kind.title, status: kind.status, detail: problem.detail, instance, requestId, ...problem.extensions };
}

/** Writes the problem unless headers already left; then the only honest signal left is cutting the connection. */
export function sendProblem(res: ServerResponse, problem: GatewayProblem, instance: string, requestId: string, closeConnection = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const body = JSON.stringify(problemBody(problem, instance, requestId));
  const headers = ['content-type', PROBLEM_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(body)), 'x-request-id', requestId, 'cache-control', 'no-store'];
  if (closeConnection) headers.push('connection', 'close');
  if (problem.headers !== undefined) headers.push(...problem.headers);
  res.writeHead(KINDS[problem.code].status, headers);
  res.end(body);
}
