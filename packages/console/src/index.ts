/**
 * Where the built console (the browser app in `app/`, built by `build.mjs`
 * into `dist/static/`) is on disk, for the gateway to serve at `/console/`.
 * Only a path: this package has no runtime code of its own on the server.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;

/**
 * The folders the build may be in, most likely first. This module is read
 * from `src/` or `dist/` of the package, or inlined into a bundle
 * (scripts/bundle.mjs), where `import.meta.dirname` is the bundle's folder.
 */
const candidates = [
  // The package itself: packages/console/{src,dist}/../dist/static.
  join(here, '..', 'dist', 'static'),
  // A gateway image: /app/bundle.mjs with the files shipped beside it in /app/console (scripts/images).
  join(here, 'console'),
  // A bundle in this repository (packages/gateway/dist/bundle.mjs, what `npm start` runs).
  join(here, '..', '..', 'console', 'dist', 'static'),
];

/**
 * The absolute path of the folder holding the console's `index.html` and its
 * hashed `assets/`. When no build is found it is the package's own
 * `dist/static`, where `npm run build` puts it.
 */
export const consoleStaticDir: string = candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? (candidates[0] as string);

/** The file every console page starts from (served with `no-cache`). */
export const CONSOLE_INDEX = 'index.html';

/** The folder of content-hashed files under `consoleStaticDir` (served with a year-long, immutable cache). */
export const CONSOLE_HASHED_ASSETS = 'assets';
