/**
 * RFC 9457 problem details: every HTTP error leaves as
 * `application/problem+json` with a stable `type` URI per kind of error.
 * Nothing internal (stack, SQL, driver text) reaches the client: unexpected
 * errors become a generic 500 carrying the request id to correlate with logs.
 */
import { FlotillaError, ValidationError, type ErrorCode, type FieldViolation } from '@flotilla/core';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_BASE_URI = 'https://flotilla.dev/problems/';

const KINDS: Record<ErrorCode, { status: number; title: string }> = {
  'bad-request': { status: 400, title: 'Malformed request' },
  validation: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable content' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  'bad-gateway': { status: 502, title: 'Bad gateway' },
  unavailable: { status: 503, title: 'Service unavailable' },
  overloaded: { status: 503, title: 'Overloaded, try again later' },
  'circuit-open': { status: 503, title: 'Upstream circuit open' },
  'deadline-exceeded': { status: 504, title: 'Deadline exceeded' },
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldViolation[];
  [extension: string]: unknown;
}

export function problemType(code: ErrorCode): string {
  return PROBLEM_BASE_URI + code;
}

export function statusOf(code: ErrorCode): number {
  return KINDS[code].status;
}

/** Fastify's own errors, by code, mapped onto our kinds. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad-request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad-request',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_BAD_URL: 'bad-request',
  FST_ERR_ASYNC_CONSTRAINT: 'bad-request',
};

export interface ClassifiedError {
  code: ErrorCode;
  detail: string;
  extensions: Record<string, unknown>;
  /** True when the error is a bug or outage the client cannot act on. */
  unexpected: boolean;
  /** The exact status the error asks for (FlotillaError.httpStatus), instead of its kind's. */
  status?: number | undefined;
}

export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof ValidationError)
    return { code: 'validation', detail: error.message, extensions: { errors: error.violations }, unexpected: false };
  if (error instanceof FlotillaError) {
    // An error naming its own status (an injected fault) is deliberate, even as a 5xx.
    const unexpected = error.code === 'internal' && error.httpStatus === undefined;
    return {
      code: error.code,
      detail: unexpected ? 'An unexpected error occurred' : error.message,
      extensions: unexpected ? {} : (error.details ?? {}),
      unexpected,
      status: error.httpStatus,
    };
  }
  const fastifyCode = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const mapped = FASTIFY_CODES[fastifyCode];
  if (mapped !== undefined) return { code: mapped, detail: publicMessage(mapped, error), extensions: {}, unexpected: false };
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return { code: 'bad-request', detail: 'The request body is not valid JSON', extensions: {}, unexpected: false };
  }
  return { code: 'internal', detail: 'An unexpected error occurred', extensions: {}, unexpected: true };
}

function publicMessage(code: ErrorCode, error: unknown): string {
  switch (code) {
    case 'payload-too-large':
      return 'The request body is larger than this endpoint accepts';
    case 'unsupported-media-type':
      return 'The request body must be application/json';
    default:
      return error instanceof Error && error.message.includes('JSON') ? 'The request body is not valid JSON' : 'The request is malformed';
  }
}

export function toProblem(classified: ClassifiedError, instance: string, requestId: string): Problem {
  return problemBody(classified.code, classified.detail, instance, requestId, classified.extensions, classified.status);
}

/**
 * The problem document of one error code, for code that answers outside
 * Fastify's error handler (the gateway writes to the raw Node response).
 * Extensions (client-safe extra members) follow the standard ones; `status`
 * overrides the kind's (the `type` stays the kind's).
 */
export function problemBody(
  code: ErrorCode,
  detail: string,
  instance: string,
  requestId: string,
  extensions?: Record<string, unknown>,
  status?: number,
): Problem {
  const kind = KINDS[code];
  return {
    type: problemType(code),
    title: kind.title,
    detail,
    instance,
    requestId,
    ...extensions,
    status: status ?? kind.status,
  };
}
