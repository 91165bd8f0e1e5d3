// Builds the browser app (app/) into dist/static/ with Vite: index.html plus
// content-hashed files under assets/. The gateway serves that folder at
// /console/. Run by the root `npm run build` (and `prepare`), or alone:
// `node packages/console/build.mjs`. Then `node packages/console/check-size.mjs`.
import { join } from 'node:path';
import { build } from 'vite';

const here = import.meta.dirname;

await build({
  configFile: false,
  root: join(here, 'app'),
  // Relative asset URLs: the page works wherever /console/ is mounted.
  base: './',
  logLevel: 'warn',
  // JSX through Vite's own transform, with Preact's automatic runtime.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: join(here, 'dist', 'static'),
    emptyOutDir: true,
    target: 'es2022',
    // The gateway's Content-Security-Policy allows no data: URLs, so nothing is inlined.
    assetsInlineLimit: 0,
    // Every browser the console supports loads module preloads natively.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
