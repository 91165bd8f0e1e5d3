/**
 * The per-request context: request id, deadline and cancellation, carried
 * across awaits with AsyncLocalStorage so that outbound calls (HTTP, gRPC, DB)
 * inherit the caller's remaining time without threading it through every
 * function signature.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  /** Correlates logs and responses across hops (`x-request-id`, gRPC metadata). */
  readonly requestId: string;
  /** Absolute deadline in epoch milliseconds, if the request has one. */
  readonly deadline?: number;
  /** Aborted when the deadline passes or the client goes away. */
  readonly signal?: AbortSignal;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Milliseconds left before the current deadline; undefined when there is none. */
export function remainingMs(now = Date.now()): number | undefined {
  const deadline = storage.getStore()?.deadline;
  return deadline === undefined ? undefined : Math.max(0, deadline - now);
}
