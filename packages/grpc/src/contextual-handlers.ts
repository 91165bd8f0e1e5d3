/**
 * Wraps a service's handlers so that every call runs inside a RequestContext
 * (request id, the client's deadline, an AbortSignal aborted at the deadline
 * or on cancel) — nested outbound calls inherit them — and so that whatever a
 * handler throws, rejects with, passes to its callback or emits as 'error'
 * becomes a proper gRPC status (error-mapping.ts) instead of a crash or an
 * UNKNOWN with a stack-trace message.
 *
 * A call whose deadline has already passed when its handler would start is
 * answered DEADLINE_EXCEEDED without running the handler (grpc-js's own
 * deadline timer can lose that race for a deadline of 0). Undecodable request
 * messages never get here (request-guards.ts).
 */
import type {
  Metadata,
  sendUnaryData,
  MethodDefinition,
  ServerErrorResponse,
  ServiceDefinition,
  StatusObject,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { runWithContext, type RequestContext } from '@flotilla/core';
import { DeadlineExceededError, FlotillaError } from '@flotilla/core';
import { toGrpcStatus } from './error-mapping.ts';
import { ensureRequestId } from './request-id.ts';
import { lenientDefinition } from './request-guards.ts';

type ServerStatusResponse = Partial<StatusObject>;
// setTimeout overflows past 2^31-1 ms (about 24.8 days) and would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;
const DEADLINE_SLACK_MS = 5;

/** The minimum of the call surface the wrapper touches (shared by every server call type). */
interface ServerCallLike {
  metadata: Metadata;
  getDeadline(): Date | number;
  getPath(): string;
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

interface CallScope {
  context: RequestContext;
  /** True when the deadline has passed already: the handler must not start. */
  expired(): boolean;
  close(): void;
}

function openCallScope(call: ServerCallLike): CallScope {
  const requestId = ensureRequestId(call.metadata);
  const rawDeadline = call.getDeadline();
  const deadlineMs = rawDeadline instanceof Date ? rawDeadline.getTime() : rawDeadline;
  const deadline = Number.isFinite(deadlineMs) ? deadlineMs : undefined;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined && deadline - Date.now() <= MAX_TIMER_MS) {
    timer = setTimeout(() => controller.abort(new DeadlineExceededError()), Math.max(0, deadline - Date.now()));
    timer.unref();
  }
  // grpc-js ends a call whose deadline passed by cancelling it; its timer may
  // fire a millisecond before Date.now() reaches the deadline, hence the slack.
  const onCancelled = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    controller.abort(
      deadline !== undefined && Date.now() + DEADLINE_SLACK_MS >= deadline
        ? new DeadlineExceededError()
        : new FlotillaError('unavailable', 'The client cancelled the call'),
    );
  };
  call.on('cancelled', onCancelled);
  const context: RequestContext =
    deadline === undefined ? { requestId, signal: controller.signal } : { requestId, deadline, signal: controller.signal };
  return {
    context,
    expired: () => deadline !== undefined && deadline <= Date.now(),
    close() {
      if (timer !== undefined) clearTimeout(timer);
      call.off('cancelled', onCancelled);
    },
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

type Respond = (error: unknown) => ServerStatusResponse;

/** Maps an error to the status to send, logging the ones that are bugs (with the request id, never sent to the client). */
function responderFor(logger: Logger, path: string, context: RequestContext): Respond {
  return (error) => {
    const status = toGrpcStatus(error);
    if (!status.expected) {
      logger.error({ err: error, requestId: context.requestId, rpc: { system: 'grpc', path } }, `grpc handler failed: ${path}`);
    }
    return { code: status.code, details: status.details, metadata: status.metadata };
  };
}

type AnyHandler = (...args: unknown[]) => unknown;

function wrapCallbackHandler(handler: AnyHandler, implementation: object, path: string, logger: Logger): AnyHandler {
  return (call, callback) => {
    const serverCall = call as ServerCallLike;
    const done = callback as sendUnaryData<unknown>;
    const scope = openCallScope(serverCall);
    const toStatus = responderFor(logger, path, scope.context);
    let settled = false;
    const respond: sendUnaryData<unknown> = (error, value, trailer, flags) => {
      if (settled) return;
      settled = true;
      scope.close();
      if (error !== null && error !== undefined) {
        done(toStatus(error) as ServerErrorResponse, null);
        return;
      }
      done(null, value, trailer, flags);
    };
    if (scope.expired()) {
      respond(new DeadlineExceededError() as unknown as ServerErrorResponse, null);
      return;
    }
    runWithContext(scope.context, () => {
      try {
        const result = handler.call(implementation, call, respond);
        // Promise style: an async handler may return its response instead of calling back.
        if (isPromiseLike(result)) {
          result.then(
            (value) => {
              if (value !== undefined) respond(null, value);
            },
            (error: unknown) => respond(error as ServerErrorResponse, null),
          );
        }
      } catch (error) {
        respond(error as ServerErrorResponse, null);
      }
    });
  };
}

interface ServerStreamLike extends ServerCallLike {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  once(event: string, listener: () => void): unknown;
}

function wrapStreamingHandler(handler: AnyHandler, implementation: object, path: string, logger: Logger): AnyHandler {
  return (call) => {
    const stream = call as ServerStreamLike;
    const scope = openCallScope(stream);
    const toStatus = responderFor(logger, path, scope.context);
    // grpc-js turns an 'error' event into the call's status; translate it first, once.
    const emit = stream.emit.bind(stream);
    let failed = false;
    stream.emit = (event, ...args) => {
      if (event !== 'error') return emit(event, ...args);
      if (failed) return false;
      failed = true;
      return emit('error', toStatus(args[0]));
    };
    stream.once('close', () => scope.close());
    stream.once('finish', () => scope.close());
    if (scope.expired()) {
      stream.emit('error', new DeadlineExceededError());
      return;
    }
    runWithContext(scope.context, () => {
      try {
        const result = handler.call(implementation, call);
        if (isPromiseLike(result)) result.then(undefined, (error: unknown) => stream.emit('error', error));
      } catch (error) {
        stream.emit('error', error);
      }
    });
  };
}

/** Returns the definition (with lenient deserializers, see request-guards.ts) and the wrapped implementation to register. */
export function wrapService(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  logger: Logger,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const wrappedImplementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    const handler = implementation[name] as AnyHandler | undefined;
    if (handler === undefined) continue; // grpc-js answers UNIMPLEMENTED
    const wrap = method.responseStream ? wrapStreamingHandler : wrapCallbackHandler;
    wrappedImplementation[name] = wrap(handler, implementation, method.path, logger) as UntypedServiceImplementation[string];
  }
  return { definition: lenientDefinition(definition), implementation: wrappedImplementation };
}
