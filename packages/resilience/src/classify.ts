/**
 * Which calls may be repeated, which failures are worth another try, and
 * which say the upstream is in trouble (what a breaker counts). Predicates,
 * so a caller with other needs passes its own.
 */
import { FlotillaError, type ErrorCode } from '@flotilla/core';
import type { HeaderBag } from '@flotilla/core';

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * True for a request that may be sent twice with the same effect: a method
 * HTTP defines as idempotent (GET, HEAD, PUT, DELETE, OPTIONS), or any request
 * carrying an `Idempotency-Key` (the server deduplicates it). Header names are
 * matched case-insensitively.
 */
export function isIdempotentHttp(method: string, headers: HeaderBag | Headers = {}): boolean {
  if (IDEMPOTENT_METHODS.has(method.toUpperCase())) return true;
  if (headers instanceof Headers) return (headers.get(IDEMPOTENCY_KEY_HEADER) ?? '') !== '';
  for (const [name, value] of Object.entries(headers)) {
    if (
      name.toLowerCase() === IDEMPOTENCY_KEY_HEADER &&
      value !== undefined &&
      value !== '' &&
      !(Array.isArray(value) && value.length === 0)
    )
      return true;
  }
  return false;
}

/** Socket-level failures: the request may never have reached a server (Node and undici codes). */
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** True when `error` (or an error in its `cause` chain, as fetch wraps them) is a connection failure. */
export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['unavailable', 'bad-gateway']);

/**
 * The default retry predicate: `unavailable` / `bad-gateway` and connection
 * errors. Never `deadline-exceeded` (no time for another try), never a 4xx
 * kind (the same request fails the same way), never our own rejections
 * (`circuit-open`, `overloaded`: retrying would defeat them).
 */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof FlotillaError) return RETRYABLE_CODES.has(error.code);
  return isConnectionError(error);
}

const UPSTREAM_FAILURE_CODES: ReadonlySet<ErrorCode> = new Set([
  'unavailable',
  'bad-gateway',
  'deadline-exceeded',
  'internal',
  'overloaded',
  'rate-limited',
  'circuit-open',
]);

/**
 * The default breaker predicate: did the upstream fail to accept the call?
 * 5xx kinds, timeouts, its own throttling (`overloaded`, `rate-limited`) and
 * connection errors count; an answer such as not-found or validation is an
 * accepted request, and so is an AbortError (the breaker does not record calls
 * its caller cancelled at all).
 */
export function isUpstreamFailure(error: unknown): boolean {
  if (error instanceof FlotillaError) return UPSTREAM_FAILURE_CODES.has(error.code);
  if (error instanceof Error && error.name === 'AbortError') return false;
  return true;
}
