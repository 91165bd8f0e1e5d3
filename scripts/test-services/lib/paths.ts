import { homedir } from 'node:os';
import { join } from 'node:path';
import { accessSync, constants } from 'node:fs';

/** Where one-time builds are kept between runs (FLOTILLA_CACHE_DIR overrides). */
export function cacheDir(): string {
  return process.env.FLOTILLA_CACHE_DIR ?? join(homedir(), '.cache', 'flotilla');
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable named `name` on PATH (plus the usual sbin dirs), or undefined. */
export function findOnPath(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', ...extraDirs];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
