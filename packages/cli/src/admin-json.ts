/**
 * JSON from a running service's `/admin/*`. The gateway requires an admin
 * credential there; it is read from the environment (`FLOTILLA_API_KEY`,
 * else `FLOTILLA_TOKEN`), never from an argument, since shell history keeps
 * those.
 */
import { FlotillaError, NotFoundError, UnavailableError } from '@flotilla/kit';
import { UsageError } from './exit-codes.ts';

function adminCredential(): Record<string, string> {
  const key = process.env.FLOTILLA_API_KEY;
  if (key !== undefined && key !== '') return { 'x-api-key': key };
  const token = process.env.FLOTILLA_TOKEN;
  return token !== undefined && token !== '' ? { authorization: `Bearer ${token}` } : {};
}

async function send(url: string, init: { method: string; body?: string }): Promise<Response> {
  try {
    return await fetch(url, {
      method: init.method,
      signal: AbortSignal.timeout(5_000),
      headers: { ...adminCredential(), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  } catch (error) {
    throw new UnavailableError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
  }
}

function refusedCredential(url: string, status: number): UsageError {
  return new UsageError(`${url} answered ${status}: set FLOTILLA_API_KEY (or FLOTILLA_TOKEN) to an admin credential`);
}

export async function getAdminJson<T>(baseUrl: string, path: string): Promise<T> {
  const url = new URL(path, baseUrl).href;
  const response = await send(url, { method: 'GET' });
  if (response.status === 401 || response.status === 403) throw refusedCredential(url, response.status);
  if (!response.ok) throw new UnavailableError(`${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Sends `body` (if any) as JSON and reads the JSON answer. A problem answer
 * becomes the error of its kind, with the server's `detail`: 404 not found,
 * 400 invalid arguments, 401/403 a missing or refused credential; anything
 * else means the service could not do it.
 */
export async function sendAdminJson<T>(method: string, baseUrl: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, baseUrl).href;
  const response = await send(url, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  // 204: done, nothing to read.
  if (response.status === 204) return undefined as T;
  if (response.ok) return (await response.json()) as T;
  if (response.status === 401 || response.status === 403) throw refusedCredential(url, response.status);
  const detail = await problemDetail(response);
  if (response.status === 404) throw new NotFoundError(detail ?? `${url} answered 404`);
  if (response.status === 400) throw new FlotillaError('validation', detail ?? `${url} answered 400`);
  throw new UnavailableError(`${url} answered ${response.status}${detail === undefined ? '' : `: ${detail}`}`);
}

async function problemDetail(response: Response): Promise<string | undefined> {
  try {
    const problem = (await response.json()) as { detail?: unknown };
    return typeof problem.detail === 'string' ? problem.detail : undefined;
  } catch {
    return undefined;
  }
}
