/**
 * How an injected abort reads in each transport. An abort names an HTTP
 * status or a gRPC code; the other one, and the error kind (the problem+json
 * `type`, and what retries and breakers go by), come from these tables:
 *
 * | HTTP status | gRPC code              | kind                   |
 * |-------------|------------------------|------------------------|
 * | 400         | 3 INVALID_ARGUMENT     | bad-request            |
 * | 401         | 16 UNAUTHENTICATED     | unauthenticated        |
 * | 403         | 7 PERMISSION_DENIED    | forbidden              |
 * | 404         | 5 NOT_FOUND            | not-found              |
 * | 405         | 12 UNIMPLEMENTED       | method-not-allowed     |
 * | 409         | 6 ALREADY_EXISTS       | conflict               |
 * | 412         | 9 FAILED_PRECONDITION  | precondition-failed    |
 * | 413         | 8 RESOURCE_EXHAUSTED   | payload-too-large      |
 * | 415         | 3 INVALID_ARGUMENT     | unsupported-media-type |
 * | 422         | 9 FAILED_PRECONDITION  | unprocessable          |
 * | 429         | 8 RESOURCE_EXHAUSTED   | rate-limited           |
 * | 499         | 1 CANCELLED            | bad-request            |
 * | 500         | 13 INTERNAL            | internal               |
 * | 501         | 12 UNIMPLEMENTED       | internal               |
 * | 502         | 14 UNAVAILABLE         | bad-gateway            |
 * | 503         | 14 UNAVAILABLE         | unavailable            |
 * | 504         | 4 DEADLINE_EXCEEDED    | deadline-exceeded      |
 * | other 4xx   | 3 INVALID_ARGUMENT     | bad-request            |
 * | other 5xx   | 13 INTERNAL            | internal               |
 *
 * A gRPC code maps to HTTP as google.rpc.Code documents it (1→499, 2→500,
 * 3→400, 4→504, 5→404, 6→409, 7→403, 8→429, 9→400, 10→409, 11→400, 12→501,
 * 13→500, 14→503, 15→500, 16→401), and to the kind the kit's gRPC client
 * gives a status without Flotilla details (so an injected UNAVAILABLE is
 * retried and counted exactly like a real one).
 */
import type { ErrorCode } from '@flotilla/core';

const KIND_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
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

const GRPC_CODE_OF_STATUS: Readonly<Record<number, number>> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  405: 12,
  409: 6,
  412: 9,
  413: 8,
  415: 3,
  422: 9,
  429: 8,
  499: 1,
  500: 13,
  501: 12,
  502: 14,
  503: 14,
  504: 4,
};

const KIND_OF_GRPC_CODE: Readonly<Record<number, ErrorCode>> = {
  1: 'unavailable', // CANCELLED by the server side: worth another instance
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

const STATUS_OF_GRPC_CODE: Readonly<Record<number, number>> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** The kind of an abort with this HTTP status (400-599). */
export function kindOfStatus(status: number): ErrorCode {
  return KIND_OF_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad-request');
}

/** The gRPC code a gRPC caller gets for an abort with this HTTP status. */
export function grpcCodeForStatus(status: number): number {
  return GRPC_CODE_OF_STATUS[status] ?? (status >= 500 ? 13 : 3);
}

/** The kind of an abort with this gRPC code (1-16). */
export function kindOfGrpcCode(code: number): ErrorCode {
  return KIND_OF_GRPC_CODE[code] ?? 'internal';
}

/** The HTTP status an HTTP caller gets for an abort with this gRPC code. */
export function statusForGrpcCode(code: number): number {
  return STATUS_OF_GRPC_CODE[code] ?? 500;
}
