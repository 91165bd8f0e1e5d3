/**
 * Shared wire schemas for route definitions: the problem document, the
 * responses that carry it, and the request headers several services read
 * (the schema that validates a header is also the one that documents it).
 */
import Type from 'typebox';
import { IDEMPOTENCY_KEY_MAX_LENGTH, NO_NUL_PATTERN, NON_BLANK_PATTERN, UUID_PATTERN } from '@flotilla/core';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), rule: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: `errors` lists each offending field (`body.email`, `query.limit`, `path.id`, `header.if-match`)',
  401: 'No valid credentials (see `WWW-Authenticate`)',
  403: 'The credentials lack a role this operation needs',
  404: 'No such resource',
  405: 'The path exists, but not for this method (see `Allow`)',
  409: 'Conflicts with the current state of the resource',
  412: '`If-Match` does not name the current version',
  413: 'The body is larger than the server accepts',
  414: 'A path parameter is longer than the server accepts',
  415: 'The body is not `application/json`',
  422: 'Well-formed, but not acceptable',
  429: 'Over the rate limit (see `RateLimit` and `Retry-After`)',
  500: 'An unexpected failure; `requestId` correlates it with the server log',
  502: 'An upstream failed or answered with something invalid',
  503: 'Overloaded, shutting down, or a dependency is unavailable; retry later',
  504: 'The deadline (`x-request-timeout`) passed before an answer',
};

export interface ProblemResponse {
  description: string;
  content: { [PROBLEM_MEDIA_TYPE]: { schema: typeof ProblemSchema } };
}

/** One documented problem response: `application/problem+json`, as the server sends it. */
export function problemResponse(status: number, description = DESCRIPTIONS[status] ?? 'An error'): ProblemResponse {
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema: ProblemSchema } } };
}

/** `response` entries documenting the problem documents a route can answer with. */
export function problemResponses(...statuses: number[]): Record<number, ProblemResponse> {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)]));
}

/** `Idempotency-Key`: printable ASCII, 1–191 characters. */
export const IdempotencyKeyHeader = Type.String({
  minLength: 1,
  maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
  pattern: '^[\\x21-\\x7E]+$',
  description: 'Replays the first response for the same key and body (printable ASCII, 1–191 characters)',
});

/**
 * `If-Match`: one entity tag from a previous response, or `*`. Only a strong
 * tag can match (RFC 9110 §13.1.1): a weak one, or one that names no version
 * of this resource, is a 412.
 */
export const IfMatchHeader = Type.String({
  maxLength: 64,
  pattern: '^\\s*(\\*|(W/)?"[\\x21\\x23-\\x7E]*")\\s*$',
  description: 'One ETag from a previous response (e.g. `"3"`), or `*`; a stale, weak or unknown one gives 412',
});

export interface TextOptions {
  minLength?: number;
  maxLength: number;
  /** At least one character that is not white space (what a trimmed-then-stored field needs). */
  nonBlank?: boolean;
  description?: string;
}

/** Free text: bounded, no NUL, and optionally not blank — every rule the server applies, in the schema. */
export function Text(options: TextOptions) {
  const { nonBlank = false, ...rest } = options;
  return Type.String({ ...rest, pattern: nonBlank ? NON_BLANK_PATTERN : NO_NUL_PATTERN });
}

/** A UUID in its 36-character text form (its length said too: path parameters need one). */
export function Uuid(options: { description?: string; examples?: string[] } = {}) {
  return Type.String({ minLength: 36, maxLength: 36, pattern: UUID_PATTERN, ...options });
}
