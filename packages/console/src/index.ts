/**
 * Where the built console (the browser app in `app/`, built by `build.mjs`
 * into `dist/static/`) is on disk, for the gateway to serve at `/console/`.
 * Only a path: this package has no runtime code of its own on the server.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The folders the build may be in, most likely first. This module is read
 * from `src/` or `dist/` of the package, or inlined into a bundle
 * (scripts/bundle.mjs), where `import.meta.dirname` is the bundle's folder,
 * or into a single-file executable (scripts/sea), where it is the folder its
 * assets were written to.
 */
function candidates(): string[] {
  const here = import.meta.dirname;
  return [
    // The package itself: packages/console/{src,dist}/../dist/static.
    join(here, '..', 'dist', 'static'),
    // An executable (a gateway image): its written-out assets hold the files in console/.
    join(here, 'console'),
    // A bundle in this repository (packages/gateway/dist/bundle.mjs, what `npm start` runs).
    join(here, '..', '..', 'console', 'dist', 'static'),
  ];
}

let found: string | undefined;

/**
 * The absolute path of the folder holding the console's `index.html` and its
 * hashed `assets/`; when no build is found, the package's own `dist/static`,
 * where `npm run build` puts it. Looked up on the first call, not when the
 * module loads: an executable's start-up snapshot loads modules at build time.
 */
export function consoleStaticDir(): string {
  if (found === undefined) {
    const dirs = candidates();
    found = dirs.find((dir) => existsSync(join(dir, 'index.html'))) ?? (dirs[0] as string);
  }
  return found;
}

/** The file every console page starts from (served with `no-cache`). */
export const CONSOLE_INDEX = 'index.html';

/** The folder of content-hashed files under `consoleStaticDir()` (served with a year-long, immutable cache). */
export const CONSOLE_HASHED_ASSETS = 'assets';
