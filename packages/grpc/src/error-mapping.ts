/**
 * Domain errors <-> gRPC status, both ways, so that domain code calling
 * another service handles the same error classes it throws itself.
 *
 * Server: a thrown FlotillaError becomes its status code, its message, and a
 * google.rpc.Status in the `grpc-status-details-bin` trailer carrying an
 * ErrorInfo (domain "flotilla.dev", metadata.code = the FlotillaError code, so
 * the inverse is exact) and, for validation errors, a BadRequest with one
 * field violation per FieldViolation. Anything else becomes INTERNAL with a
 * generic message: no stack or internal detail ever leaves the process.
 *
 * Client: a status error becomes the matching FlotillaError subclass; the
 * ServiceError is kept as `cause`.
 */
import { Metadata, status as Status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import {
  ConflictError,
  DeadlineExceededError,
  FlotillaError,
  NotFoundError,
  PreconditionFailedError,
  UnavailableError,
  UnprocessableError,
  ValidationError,
  type ErrorCode,
  type FieldViolation,
} from '@flotilla/core';
import { decodeStatusDetails, encodeStatusDetails, STATUS_DETAILS_TRAILER, type StatusDetails } from './status-details.ts';

/** ErrorInfo.domain of errors raised by Flotilla services. */
export const ERROR_DOMAIN = 'flotilla.dev';
/** `ConflictError` details.reason that maps to ABORTED (a lost optimistic-concurrency race) instead of ALREADY_EXISTS. */
export const VERSION_CONFLICT_REASON = 'version-conflict';
export const INTERNAL_ERROR_MESSAGE = 'Internal error';

export interface GrpcErrorStatus {
  code: Status;
  details: string;
  metadata: Metadata;
  /** False when the error was not a deliberate domain error (a bug): log it. */
  expected: boolean;
}

/** The gRPC status code for a FlotillaError: the one it names (an injected fault's), else its kind's. */
export function grpcCodeFor(error: FlotillaError): Status {
  if (error.grpcCode !== undefined) return error.grpcCode as Status;
  switch (error.code) {
    case 'validation':
    case 'bad-request':
    case 'unsupported-media-type':
      return Status.INVALID_ARGUMENT;
    case 'not-found':
      return Status.NOT_FOUND;
    case 'conflict':
      return error.details?.reason === VERSION_CONFLICT_REASON ? Status.ABORTED : Status.ALREADY_EXISTS;
    case 'precondition-failed':
    case 'unprocessable':
      return Status.FAILED_PRECONDITION;
    case 'payload-too-large':
    case 'rate-limited':
    case 'overloaded':
      return Status.RESOURCE_EXHAUSTED;
    case 'unavailable':
    case 'bad-gateway':
    case 'circuit-open':
      return Status.UNAVAILABLE;
    case 'method-not-allowed':
      return Status.UNIMPLEMENTED;
    case 'deadline-exceeded':
      return Status.DEADLINE_EXCEEDED;
    case 'unauthenticated':
      return Status.UNAUTHENTICATED;
    case 'forbidden':
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}

/** What a server sends for an error thrown (or passed to the callback) by a handler. */
export function toGrpcStatus(error: unknown): GrpcErrorStatus {
  if (error instanceof FlotillaError) {
    const code = grpcCodeFor(error);
    // A code the error names itself is deliberate (an injected fault): sent as is, message included.
    if (code === Status.INTERNAL && error.grpcCode === undefined) return internalStatus();
    const details: StatusDetails = { code, message: error.message, errorInfo: errorInfoFor(error) };
    if (error instanceof ValidationError && error.violations.length > 0) {
      details.fieldViolations = error.violations.map((v) => ({
        field: v.field,
        description: v.message,
        reason: v.rule,
      }));
    }
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_TRAILER, Buffer.from(encodeStatusDetails(details)));
    return { code, details: error.message, metadata, expected: true };
  }
  if (isStatusLike(error) && error.code !== Status.OK) {
    // A handler that speaks gRPC directly ({ code, details }) is taken at its word.
    const metadata = error.metadata instanceof Metadata ? error.metadata : new Metadata();
    const details = typeof error.details === 'string' ? error.details : typeof error.message === 'string' ? error.message : '';
    const expected = error.code !== Status.INTERNAL && error.code !== Status.UNKNOWN;
    return { code: error.code, details, metadata, expected };
  }
  return internalStatus();
}

function internalStatus(): GrpcErrorStatus {
  return { code: Status.INTERNAL, details: INTERNAL_ERROR_MESSAGE, metadata: new Metadata(), expected: false };
}

function errorInfoFor(error: FlotillaError): NonNullable<StatusDetails['errorInfo']> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(error.details ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') metadata[key] = String(value);
  }
  metadata.code = error.code;
  const reason = typeof error.details?.reason === 'string' ? error.details.reason : error.code;
  return { reason: reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_'), domain: ERROR_DOMAIN, metadata };
}

interface StatusLike {
  code: number;
  details?: unknown;
  message?: unknown;
  metadata?: unknown;
}

function isStatusLike(value: unknown): value is StatusLike {
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16;
}

/** True for an error that came from a gRPC call (it has a numeric status code). */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && isStatusLike(error);
}

/**
 * The FlotillaError for a failed call. FlotillaErrors pass through; other
 * non-status errors become `internal`.
 */
export function toFlotillaError(error: unknown): FlotillaError {
  if (error instanceof FlotillaError) return error;
  if (!isStatusLike(error)) {
    return new FlotillaError('internal', error instanceof Error ? error.message : String(error), { cause: error });
  }
  const status = error as Partial<StatusObject> & { code: number };
  const rich = readStatusDetails(status.metadata);
  const message = typeof status.details === 'string' && status.details !== '' ? status.details : (rich?.message ?? '');
  const flotillaCode = rich?.errorInfo?.domain === ERROR_DOMAIN ? rich.errorInfo.metadata.code : undefined;
  const details = rich?.errorInfo?.domain === ERROR_DOMAIN ? detailsFrom(rich.errorInfo.metadata) : undefined;
  const code = (flotillaCode as ErrorCode | undefined) ?? codeForStatus(status.code);
  const violations: FieldViolation[] = (rich?.fieldViolations ?? []).map((v) => ({
    field: v.field,
    rule: v.reason,
    message: v.description,
  }));
  return attachCause(errorFor(code, message, violations, details, status.code), error);
}

function errorFor(
  code: ErrorCode,
  message: string,
  violations: FieldViolation[],
  details: Record<string, unknown> | undefined,
  grpcCode: number,
): FlotillaError {
  switch (code) {
    case 'validation':
      return message === '' ? new ValidationError(violations) : new ValidationError(violations, message);
    case 'not-found':
      return new NotFoundError(message);
    case 'conflict':
      return new ConflictError(message, details ?? (grpcCode === Status.ABORTED ? { reason: VERSION_CONFLICT_REASON } : undefined));
    case 'precondition-failed':
      return new PreconditionFailedError(message);
    case 'unprocessable':
      return new UnprocessableError(message, details);
    case 'unavailable':
      return new UnavailableError(message, details === undefined ? undefined : { details });
    case 'deadline-exceeded':
      return message === '' ? new DeadlineExceededError() : new DeadlineExceededError(message);
    default:
      return new FlotillaError(code, message, details === undefined ? undefined : { details });
  }
}

/** The FlotillaError code for a status from a server that sent no Flotilla ErrorInfo. */
export function codeForStatus(code: number): ErrorCode {
  switch (code) {
    case Status.INVALID_ARGUMENT:
    case Status.OUT_OF_RANGE:
      return 'validation';
    case Status.NOT_FOUND:
      return 'not-found';
    case Status.ALREADY_EXISTS:
    case Status.ABORTED:
      return 'conflict';
    case Status.FAILED_PRECONDITION:
      return 'precondition-failed';
    case Status.UNAVAILABLE:
    // A call cancelled by its server (e.g. one shutting down) is worth trying elsewhere.
    case Status.CANCELLED:
      return 'unavailable';
    case Status.DEADLINE_EXCEEDED:
      return 'deadline-exceeded';
    case Status.UNAUTHENTICATED:
      return 'unauthenticated';
    case Status.PERMISSION_DENIED:
      return 'forbidden';
    case Status.RESOURCE_EXHAUSTED:
      return 'rate-limited';
    default:
      return 'internal';
  }
}

function readStatusDetails(metadata: unknown): StatusDetails | undefined {
  if (!(metadata instanceof Metadata)) return undefined;
  const [raw] = metadata.get(STATUS_DETAILS_TRAILER);
  if (raw === undefined || typeof raw === 'string') return undefined;
  try {
    return decodeStatusDetails(raw);
  } catch {
    return undefined; // a peer's malformed details must not hide the status itself
  }
}

function detailsFrom(metadata: Record<string, string>): Record<string, unknown> | undefined {
  const entries = Object.entries(metadata).filter(([key]) => key !== 'code');
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function attachCause<E extends Error>(error: E, cause: unknown): E {
  if (error.cause === undefined)
    Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
  return error;
}
