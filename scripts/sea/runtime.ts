/**
 * Bundled into every executable (never run by the build): gives the bundled
 * code what it would otherwise find on disk next to itself. Files embedded as
 * SEA assets are written once per build under
 * `$FLOTILLA_CACHE_DIR|~/.cache/flotilla/sea/run/<assets hash>/`: a native
 * addon can only be loaded from a file, and a package that serves or reads its
 * own files needs them on disk. `$FLOTILLA_SEA_ASSETS_DIR/<assets hash>/` comes
 * first: a container image ships them there, read-only, already written out.
 * When none of these can be written: `$FLOTILLA_HOME/sea-assets/`, then the
 * system's temporary folder.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getAssetKeys, getRawAsset } from 'node:sea';
import { pathToFileURL } from 'node:url';

/** Set by the build: a hash of every asset, so one build never reads another build's files. */
declare const FLOTILLA_SEA_ASSETS_HASH: string;

let root: string | undefined;

function extractionRoot(): string {
  if (root !== undefined) return root;
  const { FLOTILLA_SEA_ASSETS_DIR: shipped, FLOTILLA_CACHE_DIR: cache, FLOTILLA_HOME: home } = process.env;
  const bases = [
    shipped,
    join(cache ?? join(homedir(), '.cache', 'flotilla'), 'sea', 'run'),
    home === undefined ? undefined : join(home, 'sea-assets'),
    join(tmpdir(), `flotilla-sea-${process.getuid?.() ?? 'user'}`),
  ];
  for (const base of bases) {
    if (base === undefined || base === '') continue;
    const candidate = join(base, FLOTILLA_SEA_ASSETS_HASH);
    try {
      // A folder that exists is used as it is: on a read-only file system it holds every asset already.
      if (!existsSync(candidate)) mkdirSync(candidate, { recursive: true });
      root = candidate;
      return candidate;
    } catch {
      // read-only or not ours: try the next place
    }
  }
  throw new Error('no writable folder to extract the executable’s assets into');
}

/** The path of asset `key` on disk, written on first use; a file that exists is complete (written aside, then renamed). */
export function assetFile(key: string): string {
  const path = join(extractionRoot(), key);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, new Uint8Array(getRawAsset(key)), { mode: 0o644 });
  renameSync(partial, path);
  return path;
}

/** The folder holding every asset whose key starts with `prefix/`, all of them written out. */
export function assetDir(prefix: string): string {
  for (const key of getAssetKeys()) if (key.startsWith(`${prefix}/`)) assetFile(key);
  return join(extractionRoot(), prefix);
}

const addons = new Map<string, unknown>();

/** A native addon embedded as asset `key`: the SEA's require() loads built-ins only, so dlopen the extracted file. */
export function loadAddon(key: string): unknown {
  if (!addons.has(key)) {
    const module = { exports: {} };
    process.dlopen(module, assetFile(key));
    addons.set(key, module.exports);
  }
  return addons.get(key);
}

/** `import.meta.url` and friends of the ESM sources, which a CommonJS bundle has not: the executable's own. */
export const __flotillaSeaImportMetaUrl = pathToFileURL(process.execPath).href;
export const __flotillaSeaImportMetaFilename = process.execPath;
export const __flotillaSeaImportMetaDirname = dirname(process.execPath);
