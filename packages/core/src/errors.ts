/**
 * Domain errors: what went wrong, independent of the transport.
 *
 * Handlers throw these; the HTTP layer maps them to RFC 9457 problem+json and
 * the gRPC layer to status codes. `code` is stable and part of the public API.
 */

export type ErrorCode =
  | 'bad-request'
  | 'validation'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'precondition-failed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unprocessable'
  | 'unavailable'
  | 'bad-gateway'
  | 'overloaded'
  | 'circuit-open'
  | 'deadline-exceeded'
  | 'unauthenticated'
  | 'forbidden'
  | 'rate-limited'
  | 'internal';

/** One offending field: a JSON-pointer-like path and the rule it broke. */
export interface FieldViolation {
  field: string;
  rule: string;
  message: string;
}

export class FlotillaError extends Error {
  readonly code: ErrorCode;
  /** Extra, client-safe members for the problem document. */
  readonly details: Record<string, unknown> | undefined;
  /**
   * The exact HTTP status / gRPC code to answer with instead of the kind's
   * usual one, for an error that names its own (an injected fault abort).
   */
  readonly httpStatus: number | undefined;
  readonly grpcCode: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown>; httpStatus?: number; grpcCode?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
    this.httpStatus = options?.httpStatus;
    this.grpcCode = options?.grpcCode;
  }
}

export class ValidationError extends FlotillaError {
  readonly violations: FieldViolation[];
  constructor(violations: FieldViolation[], message = 'The request is invalid') {
    super('validation', message, { details: { errors: violations } });
    this.violations = violations;
  }
}

export class NotFoundError extends FlotillaError {
  constructor(message: string) {
    super('not-found', message);
  }
}

export class ConflictError extends FlotillaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details === undefined ? undefined : { details });
  }
}

export class PreconditionFailedError extends FlotillaError {
  constructor(message: string) {
    super('precondition-failed', message);
  }
}

export class UnprocessableError extends FlotillaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('unprocessable', message, details === undefined ? undefined : { details });
  }
}

export class UnavailableError extends FlotillaError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('unavailable', message, options);
  }
}

export class DeadlineExceededError extends FlotillaError {
  constructor(message = 'The deadline was exceeded', options?: { cause?: unknown }) {
    super('deadline-exceeded', message, options);
  }
}

export function isFlotillaError(error: unknown): error is FlotillaError {
  return error instanceof FlotillaError;
}
