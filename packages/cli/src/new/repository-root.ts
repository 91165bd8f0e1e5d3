/** The Flotilla checkout a command works in: the nearest folder up from `start` whose package.json lists `services/*` as workspaces. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../exit-codes.ts';

export function findRepositoryRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (isRepositoryRoot(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new UsageError(
    `not inside a Flotilla repository: no package.json with "services/*" in its workspaces at or above ${resolve(start)}`,
  );
}

function isRepositoryRoot(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    const workspaces = (JSON.parse(readFileSync(file, 'utf8')) as { workspaces?: unknown }).workspaces;
    return Array.isArray(workspaces) && workspaces.includes('services/*');
  } catch {
    return false;
  }
}
