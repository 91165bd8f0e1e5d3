/** Every file a render reads stays inside the repository it renders. */
import { relative, resolve, sep } from 'node:path';
import { UnprocessableError } from '@flotilla/core';

export function insideOf(bounds: string, path: string, where: string): string {
  const full = resolve(path);
  const rel = relative(bounds, full);
  if (rel === '..' || rel.startsWith(`..${sep}`) || resolve(bounds, rel) !== full)
    throw new UnprocessableError(`${where}: ${full} is outside ${bounds}`, { path: full });
  return full;
}
