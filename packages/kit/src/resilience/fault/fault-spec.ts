/**
 * What a fault is: a delay, an abort with an HTTP status or a gRPC code, or
 * both (delay first). Configured faults carry a percentage; a fault asked for
 * by the `x-flotilla-fault` header applies to that one call.
 */
import { FlotillaError, type ErrorCode } from '../../errors.js';

export interface FaultAbort {
  /** HTTP status 400-599 … */
  status?: number | undefined;
  /** … or gRPC status code 1-16. */
  grpcCode?: number | undefined;
}

/** One call's fault (from the header). */
export interface FaultSpec {
  delayMs?: number | undefined;
  abort?: FaultAbort | undefined;
}

/** Configured faults for an upstream or route, each applied to `percent` % of calls. */
export interface FaultRules {
  delay?: { ms: number; percent: number } | undefined;
  abort?: (FaultAbort & { percent: number }) | undefined;
}

const HTTP_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'bad-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'rate-limited',
  500: 'internal',
  502: 'bad-gateway',
  503: 'unavailable',
  504: 'deadline-exceeded',
};

// gRPC status code -> our kind, as the gRPC client maps a status without Flotilla details.
const GRPC_CODES: Readonly<Record<number, ErrorCode>> = {
  1: 'unavailable', // CANCELLED
  3: 'validation',
  4: 'deadline-exceeded',
  5: 'not-found',
  6: 'conflict',
  7: 'forbidden',
  8: 'rate-limited',
  9: 'precondition-failed',
  10: 'conflict',
  11: 'validation',
  12: 'method-not-allowed',
  14: 'unavailable',
  16: 'unauthenticated',
};

/**
 * The error an injected abort raises: the kind matching the status or code,
 * with `details.fault = "abort"` and the exact `status` / `grpcCode`, so a
 * proxy can answer with precisely what was asked for.
 */
export function faultError(abort: FaultAbort, where: string): FlotillaError {
  if (abort.grpcCode !== undefined) {
    const code = GRPC_CODES[abort.grpcCode] ?? 'internal';
    return new FlotillaError(code, `Injected fault: abort with gRPC code ${abort.grpcCode} (${where})`, { details: { fault: 'abort', grpcCode: abort.grpcCode } });
  }
  const status = abort.status ?? 503;
  const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal' : 'bad-request');
  return new FlotillaError(code, `Injected fault: abort with ${status} (${where})`, { details: { fault: 'abort', status } });
}
