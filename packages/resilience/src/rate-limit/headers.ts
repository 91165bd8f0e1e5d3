/**
 * The IETF rate-limit header fields, as defined by
 * draft-ietf-httpapi-ratelimit-headers-10 (September 2025; the two-field
 * form introduced in -08 and kept since):
 *
 *   RateLimit-Policy: "default";q=100;w=60     quota q per window w seconds
 *   RateLimit: "default";r=42;t=17             r units left, t seconds until the quota is restored
 *
 * Both are Structured Field Lists whose items are the policy name as an
 * sf-string. For a token bucket: q is the bucket capacity, w the seconds it
 * takes to refill from empty, r the whole tokens left and t the seconds until
 * the bucket is full again (a client that waits t seconds has the whole
 * quota back; Retry-After says when one request would pass).
 */
export const RATE_LIMIT_POLICY_HEADER = 'ratelimit-policy';
export const RATE_LIMIT_HEADER = 'ratelimit';
export const RETRY_AFTER_HEADER = 'retry-after';

/** An sf-string: quotes and backslashes escaped (policy names are plain ASCII by validation). */
export function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `RateLimit-Policy` value for one policy; constant for a given policy, so build it once. */
export function policyHeaderValue(name: string, quota: number, windowSeconds: number): string {
  return `${sfString(name)};q=${quota};w=${windowSeconds}`;
}

/** `RateLimit` value: what is left now and when it is whole again. */
export function limitHeaderValue(quotedName: string, remaining: number, resetSeconds: number): string {
  return `${quotedName};r=${remaining};t=${resetSeconds}`;
}

/** Whole seconds, rounded up, never 0 for a positive wait (Retry-After: 0 would invite an immediate retry). */
export function secondsCeil(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1_000);
}
