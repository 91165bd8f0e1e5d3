/**
 * GET a JSON document from a running service's `/admin/*`. The gateway
 * requires an admin credential there; it is read from the environment
 * (`FLOTILLA_API_KEY`, else `FLOTILLA_TOKEN`), never from an argument, since
 * shell history keeps those.
 */
import { UnavailableError } from '@flotilla/kit';
import { UsageError } from './exit-codes.ts';

function adminCredential(): Record<string, string> {
  const key = process.env.FLOTILLA_API_KEY;
  if (key !== undefined && key !== '') return { 'x-api-key': key };
  const token = process.env.FLOTILLA_TOKEN;
  return token !== undefined && token !== '' ? { authorization: `Bearer ${token}` } : {};
}

export async function getAdminJson<T>(baseUrl: string, path: string): Promise<T> {
  const url = new URL(path, baseUrl).href;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: adminCredential() });
  } catch (error) {
    throw new UnavailableError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 401 || response.status === 403)
    throw new UsageError(`${url} answered ${response.status}: set FLOTILLA_API_KEY (or FLOTILLA_TOKEN) to an admin credential`);
  if (!response.ok) throw new UnavailableError(`${url} answered ${response.status}`);
  return (await response.json()) as T;
}
