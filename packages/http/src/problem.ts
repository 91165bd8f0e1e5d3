/**
 * RFC 9457 problem details: every HTTP error leaves as
 * `application/problem+json` with a stable `type` URI per kind of error.
 * Nothing internal (stack, SQL, driver text) reaches the client: unexpected
 * errors become a generic 500 carrying the request id to correlate with logs.
 */
import { FlotillaError, ValidationError, type ErrorCode, type FieldViolation } from '@flotilla/core';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_BASE_URI = 'https://flotilla.dev/problems/';

/**
 * Codes only the HTTP transport answers with, before any handler runs: the
 * request could not be read as HTTP/1.1 in time or in size. Domain code never
 * throws these, so they live here and not in `ErrorCode`.
 */
export type TransportProblemCode =
  | 'request-timeout'
  | 'uri-too-long'
  | 'expectation-failed'
  | 'header-fields-too-large'
  | 'http-version-not-supported';

/** Every `type` an HTTP answer can carry: `https://flotilla.dev/problems/<code>`. */
export type ProblemCode = ErrorCode | TransportProblemCode;

const KINDS: Record<ProblemCode, { status: number; title: string }> = {
  'bad-request': { status: 400, title: 'Malformed request' },
  validation: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'uri-too-long': { status: 414, title: 'URI too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'expectation-failed': { status: 417, title: 'Expectation failed' },
  unprocessable: { status: 422, title: 'Unprocessable content' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'header-fields-too-large': { status: 431, title: 'Request header fields too large' },
  internal: { status: 500, title: 'Internal server error' },
  'bad-gateway': { status: 502, title: 'Bad gateway' },
  unavailable: { status: 503, title: 'Service unavailable' },
  overloaded: { status: 503, title: 'Overloaded, try again later' },
  'circuit-open': { status: 503, title: 'Upstream circuit open' },
  'deadline-exceeded': { status: 504, title: 'Deadline exceeded' },
  'http-version-not-supported': { status: 505, title: 'HTTP version not supported' },
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

export function problemType(code: ProblemCode): string {
  return PROBLEM_BASE_URI + code;
}

export function statusOf(code: ProblemCode): number {
  return KINDS[code].status;
}

/** Fastify's own errors, by code, mapped onto our kinds: all of them are the client's doing. */
const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad-request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad-request',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  // A QUERY request without Content-Type (RFC 10008 asks servers to refuse it).
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: 'unsupported-media-type',
  FST_ERR_ROUTE_MISSING_CONTENT: 'bad-request',
  FST_ERR_BAD_URL: 'bad-request',
  FST_ERR_INVALID_URL: 'bad-request',
  FST_ERR_MAX_PARAM_LENGTH: 'uri-too-long',
  FST_ERR_ASYNC_CONSTRAINT: 'bad-request',
  FST_ERR_NOT_FOUND: 'not-found',
};

/** Where the kind's sentence would mislead. */
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The request path is not valid percent-encoded UTF-8',
  FST_ERR_INVALID_URL: 'The request target is not a valid URL',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The request body does not match its Content-Length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty: send a JSON document, or no Content-Type',
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: 'A QUERY request must say what its body is: Content-Type: application/json',
};

export interface ClassifiedError {
  code: ProblemCode;
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
  if (mapped !== undefined)
    return { code: mapped, detail: FASTIFY_DETAILS[fastifyCode] ?? publicMessage(mapped, error), extensions: {}, unexpected: false };
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return { code: 'bad-request', detail: publicMessage('bad-request', error), extensions: {}, unexpected: false };
  }
  // The client went away while its body was being read: nothing to answer, and nothing wrong here.
  if (fastifyCode === 'ECONNRESET' && error instanceof Error && error.message === 'aborted') {
    return { code: 'bad-request', detail: 'The request ended before its body was complete', extensions: {}, unexpected: false };
  }
  return { code: 'internal', detail: 'An unexpected error occurred', extensions: {}, unexpected: true };
}

/** A fixed sentence per kind: Fastify's own messages quote the request (its path, its body), ours never do. */
function publicMessage(code: ProblemCode, error: unknown): string {
  switch (code) {
    case 'payload-too-large':
      return 'The request body is larger than this endpoint accepts';
    case 'unsupported-media-type':
      return 'The request body must be application/json';
    case 'uri-too-long':
      return 'A path segment is longer than this server accepts';
    case 'not-found':
      return 'No resource at this path';
    default: {
      const message = error instanceof Error ? error.message : '';
      if (message.includes('prototype')) return 'The request body uses a reserved member name (__proto__ or constructor.prototype)';
      if (message.includes('JSON')) return 'The request body is not valid JSON';
      return 'The request is malformed';
    }
  }
}

export function toProblem(classified: ClassifiedError, instance: string | undefined, requestId: string): Problem {
  return problemBody(classified.code, classified.detail, instance, requestId, classified.extensions, classified.status);
}

/**
 * The problem document of one error code, for code that answers outside
 * Fastify's error handler (the gateway writes to the raw Node response).
 * Extensions (client-safe extra members) follow the standard ones; `status`
 * overrides the kind's (the `type` stays the kind's). Without `instance` (a
 * request whose target could not be read, or should not be repeated) the
 * member is left out.
 */
export function problemBody(
  code: ProblemCode,
  detail: string,
  instance: string | undefined,
  requestId: string,
  extensions?: Record<string, unknown>,
  status?: number,
): Problem {
  const kind = KINDS[code];
  return {
    type: problemType(code),
    title: kind.title,
    detail,
    ...(instance === undefined ? {} : { instance }),
    requestId,
    ...extensions,
    status: status ?? kind.status,
  };
}

/** Longer request targets are left out of `instance` rather than sent back whole. */
const INSTANCE_MAX_LENGTH = 2048;

/** The request target as the problem's `instance`, or nothing when it is too long to repeat. */
export function instanceOf(url: string): string | undefined {
  return url.length <= INSTANCE_MAX_LENGTH ? url : undefined;
}
