/**
 * What a fault is: a delay, an abort with an HTTP status or a gRPC code, or
 * both (delay first). Configured faults carry a percentage; a fault asked for
 * by the `x-flotilla-fault` header applies to that one call.
 *
 * An abort raises a FlotillaError that names both transports' answer
 * exactly (`httpStatus`, `grpcCode`): the one asked for, and the other
 * translated through the tables in abort-mapping.ts. Its kind (`code`, hence
 * the problem+json `type`) follows the status or code, so it is stable.
 */
import { FlotillaError } from '@flotilla/core';
import { grpcCodeForStatus, kindOfGrpcCode, kindOfStatus, statusForGrpcCode } from './abort-mapping.ts';

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

export const MIN_ABORT_STATUS = 400;
export const MAX_ABORT_STATUS = 599;

export function isAbortStatus(status: number): boolean {
  return Number.isInteger(status) && status >= MIN_ABORT_STATUS && status <= MAX_ABORT_STATUS;
}

export function isAbortGrpcCode(code: number): boolean {
  return Number.isInteger(code) && code >= 1 && code <= 16;
}

/**
 * What is wrong with an abort, or undefined when it is valid: exactly one of
 * an HTTP error status (400-599) or a gRPC code other than OK (1-16).
 */
export function abortProblem(abort: FaultAbort): string | undefined {
  if ((abort.status === undefined) === (abort.grpcCode === undefined)) return 'must name exactly one of status (HTTP) or grpcCode (gRPC)';
  if (abort.status !== undefined && !isAbortStatus(abort.status))
    return `status must be an HTTP error status ${MIN_ABORT_STATUS}-${MAX_ABORT_STATUS}, not ${abort.status}`;
  if (abort.grpcCode !== undefined && !isAbortGrpcCode(abort.grpcCode))
    return `grpcCode must be a gRPC error code 1-16, not ${abort.grpcCode}`;
  return undefined;
}

/**
 * The error an injected abort raises: the kind matching the status or code,
 * `httpStatus` and `grpcCode` set to exactly what either transport answers,
 * and `details: { fault: 'abort', status | grpcCode }` (what was asked for).
 * An invalid abort is a `validation` error (rules are checked when they are
 * configured, so this only guards direct calls).
 */
export function faultError(abort: FaultAbort, where: string): FlotillaError {
  const problem = abortProblem(abort);
  if (problem !== undefined) throw new FlotillaError('validation', `Fault abort (${where}) ${problem}`, { details: { abort } });
  if (abort.grpcCode !== undefined) {
    const grpcCode = abort.grpcCode;
    return new FlotillaError(kindOfGrpcCode(grpcCode), `Injected fault: abort with gRPC code ${grpcCode} (${where})`, {
      details: { fault: 'abort', grpcCode },
      grpcCode,
      httpStatus: statusForGrpcCode(grpcCode),
    });
  }
  const status = abort.status as number;
  return new FlotillaError(kindOfStatus(status), `Injected fault: abort with ${status} (${where})`, {
    details: { fault: 'abort', status },
    httpStatus: status,
    grpcCode: grpcCodeForStatus(status),
  });
}
