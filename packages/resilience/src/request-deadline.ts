/**
 * The request context of an incoming HTTP request, with its deadline read
 * from `x-request-timeout` / `grpc-timeout` (and the route timeout, when the
 * caller has one). The kit's HTTP server calls this in its onRequest hook;
 * handlers then read `currentDeadline()`, and outbound gRPC calls made
 * inside the request are capped by it.
 *
 * `clientGone` (the server passes one) fires when the caller leaves before
 * the answer — typically a caller whose own deadline passed a moment before
 * ours (each hop's deadline is relative, so it runs out upstream first). The
 * context's `signal` then fires too: the work is abandoned, not finished for
 * nobody (an order written after the caller was told 504).
 */
import { deadlineOf, type RequestContext } from '@flotilla/core';
import { Deadline, type HeaderBag } from '@flotilla/core';

export function incomingRequestContext(
  requestId: string,
  headers: HeaderBag,
  options: { routeTimeoutMs?: number | undefined; clientGone?: AbortSignal | undefined } = {},
): RequestContext {
  return requestContext(requestId, Deadline.fromRequest(headers, options), options.clientGone);
}

/** The context of a request whose deadline is already known (the admission pipeline's deadline step read it). */
export function requestContext(requestId: string, deadline: Deadline, gone: AbortSignal | undefined): RequestContext {
  if (!deadline.bounded) return gone === undefined ? { requestId } : { requestId, signal: gone };
  let signal: AbortSignal | undefined;
  const context: RequestContext = {
    requestId,
    deadline: deadline.at,
    // Made on first read: a request nobody waits on costs no timer.
    get signal(): AbortSignal {
      if (signal === undefined) {
        const atDeadline = (deadlineOf(context) as Deadline).signal;
        signal = gone === undefined ? atDeadline : AbortSignal.any([atDeadline, gone]);
      }
      return signal;
    },
  };
  return context;
}
