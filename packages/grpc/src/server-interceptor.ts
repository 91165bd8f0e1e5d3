/**
 * The server interceptor that sees every call, including those that never
 * reach a handler (deadline passed, cancelled): it settles the request id
 * (taken from `x-request-id` or minted, written into the incoming metadata so
 * the handler wrapper finds it, and echoed in the response metadata) and
 * writes one structured log line per call: method, status code, duration.
 */
import { Metadata, ServerInterceptingCall, status as Status, type ServerInterceptor } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ensureRequestId, REQUEST_ID_METADATA_KEY } from './request-id.ts';

const SERVER_FAULTS = new Set<number>([Status.INTERNAL, Status.UNKNOWN, Status.DATA_LOSS, Status.UNIMPLEMENTED]);

export interface CallLogOptions {
  /** Methods (full paths or service-name prefixes) logged at debug, e.g. health probes. */
  quietPrefixes?: readonly string[];
}

/** Splits "/pkg.Service/Method" into its service and method names. */
export function splitPath(path: string): { service: string; method: string } {
  const [, service = '', method = ''] = path.split('/');
  return { service, method };
}

export function createCallLogInterceptor(logger: Logger, options: CallLogOptions = {}): ServerInterceptor {
  const quietPrefixes = options.quietPrefixes ?? [];
  return (methodDefinition, call) => {
    const path = methodDefinition.path;
    const startedAt = performance.now();
    const quiet = quietPrefixes.some((prefix) => path.startsWith(prefix));
    let requestId: string | undefined;
    let metadataSent = false;
    let logged = false;

    const logOnce = (code: number): void => {
      if (logged) return;
      logged = true;
      const durationMs = performance.now() - startedAt;
      const level = quiet ? 'debug' : code === Status.OK ? 'info' : SERVER_FAULTS.has(code) ? 'error' : 'warn';
      const { service, method } = splitPath(path);
      logger[level](
        {
          requestId,
          rpc: { system: 'grpc', service, method },
          grpc: { code, status: Status[code] ?? String(code) },
          event: { duration: Math.round(durationMs * 1e6) },
          durationMs: Math.round(durationMs * 1000) / 1000,
        },
        `grpc ${path} ${Status[code] ?? code}`,
      );
    };

    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            requestId = ensureRequestId(metadata);
            nextMetadata(metadata);
          },
          onCancel: () => {
            const deadline = call.getDeadline();
            const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
            logOnce(Date.now() >= deadlineMs ? Status.DEADLINE_EXCEEDED : Status.CANCELLED);
          },
        }),
      sendMetadata: (metadata, next) => {
        metadataSent = true;
        if (requestId !== undefined) metadata.set(REQUEST_ID_METADATA_KEY, requestId);
        next(metadata);
      },
      sendStatus: (status, next) => {
        logOnce(status.code);
        if (!metadataSent && requestId !== undefined) {
          // Trailers-only response: the request id rides with the status.
          const metadata = status.metadata ?? new Metadata();
          metadata.set(REQUEST_ID_METADATA_KEY, requestId);
          next({ ...status, metadata });
          return;
        }
        next(status);
      },
    });
  };
}
