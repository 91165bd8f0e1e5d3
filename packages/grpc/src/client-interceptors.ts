/**
 * The client interceptor every outbound call goes through. It reads the
 * caller's RequestContext (currentContext(), set by the kit's HTTP and gRPC
 * servers) and:
 *  - sets the deadline to the earliest of the call's own deadline (or the
 *    client's default timeout) and the caller's deadline, so a call never
 *    outlives the request that made it; with no time left it fails at once
 *    with DEADLINE_EXCEEDED and sends nothing;
 *  - cancels the call when the caller's AbortSignal fires (client went away);
 *  - sends `x-request-id` (the caller's, or a new one);
 *  - logs one debug line per call.
 */
import { randomUUID } from 'node:crypto';
import {
  InterceptingCall,
  Metadata,
  status as Status,
  type Interceptor,
  type InterceptingListener,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { currentContext } from '@flotilla/core';
import { REQUEST_ID_METADATA_KEY } from './request-id.ts';

export interface OutboundInterceptorOptions {
  /** Deadline for calls that set none themselves (still capped by the caller's deadline). */
  defaultTimeoutMs?: number;
  logger?: Logger;
}

// grpc-js does not export these two types by name.
type InterceptingCallInterface = ConstructorParameters<typeof InterceptingCall>[0];
type MessageContext = Parameters<InterceptingCallInterface['sendMessageWithContext']>[0];

function toEpochMs(deadline: Date | number | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

function earliest(...deadlines: (number | undefined)[]): number | undefined {
  const set = deadlines.filter((d): d is number => d !== undefined);
  return set.length === 0 ? undefined : Math.min(...set);
}

/** A call that never reaches the network and ends with `status` as soon as it is started. */
function failedCall(status: StatusObject): InterceptingCallInterface {
  return {
    start(_metadata: Metadata, listener?: Partial<InterceptingListener>) {
      process.nextTick(() => listener?.onReceiveStatus?.(status));
    },
    sendMessageWithContext(context: MessageContext) {
      context.callback?.();
    },
    sendMessage() {},
    startRead() {},
    halfClose() {},
    cancelWithStatus() {},
    getPeer: () => '',
    getAuthContext: () => null,
  };
}

/**
 * The caller's signal also fires at its deadline, possibly a millisecond before Date.now()
 * reaches it: either way the caller is out of time, which must read as DEADLINE_EXCEEDED,
 * never as a cancellation (mapped to a retryable UNAVAILABLE).
 */
function abortedByDeadline(signal: AbortSignal): boolean {
  return (signal.reason as { code?: unknown } | undefined)?.code === 'deadline-exceeded';
}

export function createOutboundInterceptor(options: OutboundInterceptorOptions = {}): Interceptor {
  return (callOptions, nextCall) => {
    const context = currentContext();
    const now = Date.now();
    const explicit =
      toEpochMs(callOptions.deadline) ?? (options.defaultTimeoutMs === undefined ? undefined : now + options.defaultTimeoutMs);
    const deadline = earliest(explicit, context?.deadline);
    const path = callOptions.method_definition.path;
    const startedAt = performance.now();
    let requestId = context?.requestId;

    const logStatus = (code: number): void => {
      options.logger?.debug(
        {
          requestId,
          rpc: { system: 'grpc', path },
          grpc: { code, status: Status[code] ?? String(code) },
          durationMs: performance.now() - startedAt,
        },
        `grpc client ${path} ${Status[code] ?? code}`,
      );
    };

    if ((deadline !== undefined && deadline <= now) || (context?.signal?.aborted === true && abortedByDeadline(context.signal))) {
      logStatus(Status.DEADLINE_EXCEEDED);
      return new InterceptingCall(
        failedCall({
          code: Status.DEADLINE_EXCEEDED,
          details: "No time left before the caller's deadline",
          metadata: new Metadata(),
        }),
      );
    }
    if (context?.signal?.aborted === true) {
      logStatus(Status.CANCELLED);
      return new InterceptingCall(
        failedCall({ code: Status.CANCELLED, details: 'The calling request was cancelled', metadata: new Metadata() }),
      );
    }

    const next = nextCall(deadline === undefined ? callOptions : { ...callOptions, deadline });
    let call: InterceptingCall | undefined;
    const onAbort = (): void => {
      const pastDeadline = context?.signal !== undefined && abortedByDeadline(context.signal);
      call?.cancelWithStatus(
        pastDeadline ? Status.DEADLINE_EXCEEDED : Status.CANCELLED,
        pastDeadline ? "The caller's deadline passed" : 'The calling request was cancelled',
      );
    };
    call = new InterceptingCall(next, {
      start(metadata, _listener, start) {
        const [incoming] = metadata.get(REQUEST_ID_METADATA_KEY);
        if (typeof incoming === 'string' && incoming !== '') requestId = incoming;
        else {
          requestId ??= randomUUID();
          metadata.set(REQUEST_ID_METADATA_KEY, requestId);
        }
        context?.signal?.addEventListener('abort', onAbort, { once: true });
        start(metadata, {
          onReceiveStatus(status, nextStatus) {
            context?.signal?.removeEventListener('abort', onAbort);
            logStatus(status.code);
            nextStatus(status);
          },
        });
      },
    });
    return call;
  };
}
