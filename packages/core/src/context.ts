/**
 * The per-request context: request id, deadline and cancellation, carried
 * across awaits with AsyncLocalStorage so that outbound calls (HTTP, gRPC, DB)
 * inherit the caller's remaining time without threading it through every
 * function signature.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Deadline } from './deadline.ts';

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

// One Deadline per context, so its signal's timer is made at most once per request.
const deadlines = new WeakMap<RequestContext, Deadline>();

/** The deadline of `context` as a Deadline (remaining(), signal, toHeader()); undefined when it has none. */
export function deadlineOf(context: RequestContext): Deadline | undefined {
  if (context.deadline === undefined) return undefined;
  let deadline = deadlines.get(context);
  if (deadline === undefined) {
    deadline = Deadline.at(context.deadline);
    deadlines.set(context, deadline);
  }
  return deadline;
}

/** The current request's deadline, for a handler or an outbound call; undefined outside a request or without one. */
export function currentDeadline(): Deadline | undefined {
  const context = storage.getStore();
  return context === undefined ? undefined : deadlineOf(context);
}
