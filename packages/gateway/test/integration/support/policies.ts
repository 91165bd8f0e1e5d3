/**
 * Shared pieces of the gateway policy tests (`policies-*.test.ts`): the
 * credentials their gateways accept, HS256 tokens, problem reading, the
 * admin endpoints, and a bounded "keep sending until" loop.
 */
import { hashApiKey } from '@flotilla/http';
import { hs256, mintJwt, nowSeconds } from '@flotilla/testing';
import { ADMIN_HEADERS, TEST_ADMIN_KEY } from './gateway.ts';
import { send, type Answer, type SendOptions } from './http.ts';

export const ADMIN_KEY = TEST_ADMIN_KEY;
export const READER_KEY = 'flk_policies_test_reader_key_0123456789abcdef';
export const JWT_SECRET = 'policies-test-jwt-secret-long-enough-0123456789';
export const IDENTITY_SECRET = 'policies-test-identity-secret-long-enough-0123456789';
export const REALM = 'flotilla-test';
const ISSUER = 'flotilla-test-issuer';
const AUDIENCE = 'flotilla-api';

/**
 * The `auth` and `admin` sections every policy test gateway uses: HS256
 * tokens from ISSUER for AUDIENCE, an admin and a reader API key, and a
 * signed identity header for upstreams.
 */
export function authYaml(): string {
  return `auth:
  realm: ${REALM}
  jwt: { issuer: ${ISSUER}, audience: ${AUDIENCE}, algorithms: [HS256], secret: '${JWT_SECRET}' }
  apiKeys:
    - { id: test-admin, hash: '${hashApiKey(ADMIN_KEY)}', roles: [admin] }
    - { id: test-reader, hash: '${hashApiKey(READER_KEY)}', roles: [reader] }
  identityHeader: { secret: '${IDENTITY_SECRET}' }
admin: { roles: [admin] }
`;
}

/** An HS256 token the gateways above accept (unless the claims or the secret say otherwise). */
export function token(claims: Record<string, unknown> = {}, secret = JWT_SECRET): string {
  const now = nowSeconds();
  return mintJwt(
    { alg: 'HS256', typ: 'JWT' },
    { iss: ISSUER, aud: AUDIENCE, sub: 'ada', roles: [], iat: now, exp: now + 600, ...claims },
    hs256(secret),
  );
}

export function bearer(jwt: string): Record<string, string> {
  return { authorization: `Bearer ${jwt}` };
}

export interface Problem {
  type: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/** The problem+json body of an answer (fails loudly when the answer is not one). */
export function problemOf(answer: Answer): Problem {
  const type = String(answer.headers['content-type']);
  if (!type.startsWith('application/problem+json'))
    throw new Error(`expected a problem, got ${answer.status} ${type}: ${answer.body.slice(0, 300)}`);
  return answer.json<Problem>();
}

export const problemType = (code: string): string => `https://flotilla.dev/problems/${code}`;

/** True when the answer is the gateway's own problem of this code (not, say, a 503 passed on from the upstream). */
export function isProblem(answer: Answer, code: string): boolean {
  return String(answer.headers['content-type']).startsWith('application/problem+json') && answer.json<Problem>().type === problemType(code);
}

/** GET an admin endpoint with the admin key. */
export async function adminJson<T>(url: string, path: string): Promise<T> {
  const answer = await send(`${url}${path}`, { headers: ADMIN_HEADERS });
  if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${answer.body}`);
  return answer.json<T>();
}

/** What `/admin/breakers` shows for one upstream (the fields these tests read). */
export interface UpstreamGuardView {
  breaker: { state: 'closed' | 'throttling' | 'open'; reason: string; probability: number } | null;
  retry: { budget: { requests: number; retries: number } } | null;
  fault: Record<string, unknown>;
}

export async function guardOf(url: string, upstream: string): Promise<UpstreamGuardView | undefined> {
  return (await adminJson<{ upstreams: Record<string, UpstreamGuardView> }>(url, '/admin/breakers')).upstreams[upstream];
}

/**
 * Sends one request after another (never two at once) until `done` says so
 * for an answer, at most `max` requests or `timeoutMs`; returns that answer.
 */
export async function sendUntil(
  url: string,
  done: (answer: Answer) => boolean | Promise<boolean>,
  what: string,
  options: SendOptions & { max?: number; timeoutMs?: number } = {},
): Promise<Answer> {
  const { max = 1_000, timeoutMs = 20_000, ...request } = options;
  const deadline = Date.now() + timeoutMs;
  let last: Answer | undefined;
  for (let sent = 0; sent < max && Date.now() < deadline; sent++) {
    last = await send(url, request);
    if (await done(last)) return last;
  }
  throw new Error(`gave up waiting for ${what}; last answer ${last?.status} ${last?.body.slice(0, 300)}`);
}
