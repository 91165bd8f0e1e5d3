/**
 * The credential for a service's `/admin/*` (the gateway requires one), read
 * from the environment, never from an argument (shell history keeps those).
 */
export function adminCredential(): Record<string, string> {
  const key = process.env.FLOTILLA_API_KEY;
  if (key !== undefined && key !== '') return { 'x-api-key': key };
  const token = process.env.FLOTILLA_TOKEN;
  return token !== undefined && token !== '' ? { authorization: `Bearer ${token}` } : {};
}
