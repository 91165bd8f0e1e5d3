/**
 * Whether an error answer closes the connection. A body the server refused
 * without reading (too large, an unrouted path, a target refused in
 * `onRequest`) is read and dropped by Node after the answer, keeping the
 * connection: closing at once would reset a client still sending it, and a
 * proxy in front (the gateway) would turn that reset into a 502 instead of
 * passing the answer on. Only a body declared larger than the drain budget,
 * or one whose framing is broken, closes the connection (Fastify's body
 * reader asks to close after any body error; that request is undone here
 * when the body can be drained). An endless chunked body is still cut by the
 * server's request timeout.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** How much more than the body limit is drained rather than cut. */
export const DRAIN_FACTOR = 4;

/** `connection: close` when the rest of the request should not be read; otherwise the connection is kept. */
export function closeIfUndrainable(request: FastifyRequest, reply: FastifyReply, drainLimitBytes: number, framingBroken = false): void {
  if (reply.raw.headersSent) return;
  const declared = request.headers['content-length'];
  const close = framingBroken || (!request.raw.complete && declared !== undefined && Number(declared) > drainLimitBytes);
  if (close) reply.header('connection', 'close');
  else if (reply.getHeader('connection') === 'close') reply.removeHeader('connection');
}
