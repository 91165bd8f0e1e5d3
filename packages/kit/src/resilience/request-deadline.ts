/**
 * The request context of an incoming HTTP request, with its deadline read
 * from `x-request-timeout` / `grpc-timeout` (and the route timeout, when the
 * caller has one). The kit's HTTP server calls this in its onRequest hook;
 * handlers then read `currentDeadline()`, and outbound gRPC calls made
 * inside the request are capped by it.
 */
import { deadlineOf, type RequestContext } from '../context.js';
import { Deadline, type HeaderBag } from './deadline.js';

export function incomingRequestContext(requestId: string, headers: HeaderBag, options: { routeTimeoutMs?: number | undefined } = {}): RequestContext {
  const deadline = Deadline.fromRequest(headers, options);
  if (!deadline.bounded) return { requestId };
  const context: RequestContext = {
    requestId,
    deadline: deadline.at,
    // Made on first read: a request nobody waits on costs no timer.
    get signal(): AbortSignal {
      return (deadlineOf(context) as Deadline).signal;
    },
  };
  return context;
}
