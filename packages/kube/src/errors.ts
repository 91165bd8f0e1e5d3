// Errors from the API server, with the HTTP status and the Status reason kept so callers
// can branch on them (404, 409, 410 ...).
import type { Status } from './objects.ts';

export class KubeApiError extends Error {
  readonly code = 'kube-api';
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }

  static fromStatus(httpStatus: number, body: unknown, fallback: string): KubeApiError {
    const status = isStatus(body) ? body : undefined;
    return new KubeApiError(status?.code ?? httpStatus, status?.reason ?? 'Unknown', status?.message ?? fallback);
  }
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

const hasStatus = (error: unknown, status: number): boolean => error instanceof KubeApiError && error.status === status;

export const isNotFound = (error: unknown): boolean => hasStatus(error, 404);
export const isConflict = (error: unknown): boolean => hasStatus(error, 409);
/** 410 Gone: the resourceVersion is too old (compacted); the caller must relist. */
export const isGone = (error: unknown): boolean => hasStatus(error, 410);
export const isAlreadyExists = (error: unknown): boolean => hasStatus(error, 409) && (error as KubeApiError).reason === 'AlreadyExists';
export const isUnprocessable = (error: unknown): boolean => hasStatus(error, 422);
/** 401: the credentials were refused (an expired token, a wrong certificate). */
export const isUnauthorized = (error: unknown): boolean => hasStatus(error, 401);
/** 403: authenticated, but RBAC does not allow this verb on this resource. */
export const isForbidden = (error: unknown): boolean => hasStatus(error, 403);

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The API server could not be reached or did not answer in time (no HTTP status at all). */
export function isUnreachable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}
