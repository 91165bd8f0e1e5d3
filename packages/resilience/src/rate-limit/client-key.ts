/**
 * Whose bucket a request takes from, per the policy's `keyBy`. API keys
 * never appear in bucket keys (Redis, logs): they are hashed. A request
 * without the chosen credential falls back to its IP, so anonymous traffic
 * on a per-subject route is still limited.
 */
import { createHash } from 'node:crypto';
import type { RateLimitKeyBy } from './settings.ts';

/** The verified caller, as an authentication step found it. */
export interface RateLimitIdentity {
  /** JWT `sub`, or the owner of an API key. */
  subject?: string;
  /** A stable, non-secret id of the API key used (preferred over hashing the key itself). */
  apiKeyId?: string;
}

/** Just what the key needs from a request: Fastify's request and a raw IncomingMessage both fit (pass `ip`). */
export interface RateLimitRequest {
  ip?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

export interface RateLimitKeyOptions {
  /** Header carrying the API key when `identity.apiKeyId` is absent; default `x-api-key`. */
  apiKeyHeader?: string;
}

export function rateLimitKey(
  keyBy: RateLimitKeyBy,
  request: RateLimitRequest,
  identity?: RateLimitIdentity,
  options: RateLimitKeyOptions = {},
): string {
  switch (keyBy) {
    case 'subject':
      if (identity?.subject !== undefined && identity.subject !== '') return `sub:${identity.subject}`;
      break;
    case 'apiKey': {
      if (identity?.apiKeyId !== undefined && identity.apiKeyId !== '') return `key:${identity.apiKeyId}`;
      const header = request.headers[options.apiKeyHeader ?? 'x-api-key'];
      const apiKey = Array.isArray(header) ? header[0] : header;
      if (apiKey !== undefined && apiKey !== '') return `key:${hashKey(apiKey)}`;
      break;
    }
    case 'ip':
      break;
  }
  return `ip:${request.ip ?? 'unknown'}`;
}

function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 22);
}
