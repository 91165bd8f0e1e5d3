/**
 * Every call the console makes: same-origin `fetch` with the session cookie
 * (the browser sends it; the console never sees or stores a credential), the
 * session's CSRF token on every state-changing call, and problem+json
 * answers turned into `ApiError`s. The token lives in this module's memory
 * only: a reload asks the gateway for it again (`GET /admin/session`).
 */
import type { SchemaError } from './types.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when an admin call answers 401 (the session expired or was ended elsewhere). */
export function whenUnauthenticated(listener: () => void): void {
  onUnauthenticated = listener;
}

/** A problem+json answer (RFC 9457), or a failure to reach the gateway at all (status 0). */
export class ApiError extends Error {
  readonly status: number;
  /** The stable code: the last segment of the problem's `type`. */
  readonly code: string;
  readonly detail: string | undefined;
  /** Schema errors of an invalid config document. */
  readonly errors: SchemaError[];

  constructor(status: number, code: string, message: string, detail?: string, errors: SchemaError[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }
}

/** The CSRF header for a request with `method`, if it changes state. */
export function csrfHeaders(method: string): Record<string, string> {
  return !SAFE_METHODS.has(method.toUpperCase()) && csrfToken !== undefined ? { 'x-csrf-token': csrfToken } : {};
}

export interface CallOptions {
  body?: unknown;
  /** Do not report a 401 to the sign-in screen (the sign-in call itself). */
  quiet401?: boolean;
}

export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...csrfHeaders(method) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'unreachable', `The gateway did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.ok) {
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
  const error = await problemOf(response);
  if (error.status === 401 && options.quiet401 !== true) onUnauthenticated?.();
  throw error;
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);

async function problemOf(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // not JSON: the status says enough
  }
  const type = typeof body.type === 'string' ? body.type : '';
  const code = type === '' ? `http-${response.status}` : (type.split('/').pop() ?? type);
  const title = typeof body.title === 'string' ? body.title : `${response.status} ${response.statusText}`;
  const detail = typeof body.detail === 'string' ? body.detail : undefined;
  return new ApiError(response.status, code, title, detail, schemaErrors(body.errors));
}

/** `errors` as the config centre sends them ({ path, message }) or as the kit's validation does ({ field, message }). */
function schemaErrors(errors: unknown): SchemaError[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((e: Record<string, unknown>) => ({
    path: String(e.path ?? e.field ?? ''),
    message: String(e.message ?? e.rule ?? ''),
  }));
}

/** A path segment, escaped. */
export const seg = (value: string | number): string => encodeURIComponent(String(value));
