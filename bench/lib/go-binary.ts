/**
 * A benchmark peer written in Go, built once from its module into
 * ~/.cache/flotilla/bin/<name>-<hash>. The hash covers go.mod, go.sum and every
 * .go file of the module, so an edit builds a new binary and an unchanged
 * module reuses the cached one. The build is the harness's (scripts/test-services/lib/go-build.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goBuild } from '../../scripts/test-services/lib/go-build.ts';
import { cacheDir, isExecutable } from '../../scripts/test-services/lib/paths.ts';

export interface GoBinaryOptions {
  /** The binary's name in the cache, before the hash. */
  name: string;
  /** The directory holding go.mod. */
  moduleDir: string;
  /** cgo on (a C library inside, e.g. SQLite) or off. */
  cgo: boolean;
  log: (message: string) => void;
}

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file === 'go.mod' || file === 'go.sum' || file.endsWith('.go'))
    .sort();
}

/** The first 16 hex digits of SHA-256 over each module file's path and content. */
export function moduleHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of moduleFiles(dir)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(dir, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Where the binary of the module as it is now lives (built or not). */
export function goBinaryPath(name: string, moduleDir: string): string {
  return join(cacheDir(), 'bin', `${name}-${moduleHash(moduleDir)}`);
}

/** The cached binary, built first if this version of the module has none yet (needs Go and the module proxy, once). */
export async function ensureGoBinary(opts: GoBinaryOptions): Promise<string> {
  const out = goBinaryPath(opts.name, opts.moduleDir);
  if (isExecutable(out)) return out;
  await goBuild({ what: opts.name, moduleDir: opts.moduleDir, out, cgo: opts.cgo, mod: 'readonly', log: opts.log });
  return out;
}
