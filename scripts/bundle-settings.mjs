// The esbuild settings every Flotilla bundle shares: scripts/bundle.mjs (what
// `npm start` and the images run), the gateway benchmarks' bundles from source,
// the single-file executables (scripts/sea/) and the image builder's list of
// packages shipped beside the bundles.
import { readFile, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';

/**
 * Packages left out of the bundles and loaded from node_modules at run time:
 * they read files next to their own code (protos, worker scripts, static
 * assets), load native addons, or are loaded by a computed require (the pg and
 * mysql2 drivers, only for a postgres:// or mysql:// DSN). The OpenTelemetry
 * API and undici are bundled: each is dozens of small CommonJS files that cost
 * more to find and load one by one than to carry in the bundle.
 */
export const BUNDLE_EXTERNAL = [
  'better-sqlite3',
  'pg',
  'pg-native',
  'mysql2',
  '@fastify/swagger-ui',
  '@grpc/*',
  'etcd3',
  'protobufjs',
  'pino',
  'pino-pretty',
  // Loaded by import() only when tracing is on; they bring their own copy of the API (one global state between them).
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/core',
  '@opentelemetry/instrumentation',
  '@opentelemetry/instrumentation-undici',
];

/** True when `specifier` names one of `externals` (an exact name, a subpath of it, or a `@scope/*` pattern). */
export function matchesExternal(specifier, externals = BUNDLE_EXTERNAL) {
  return externals.some((pattern) =>
    pattern.endsWith('/*') ? specifier.startsWith(pattern.slice(0, -1)) : specifier === pattern || specifier.startsWith(`${pattern}/`),
  );
}

/**
 * Static imports of Node's built-ins and of the externals become require()
 * calls. Why: an ESM import of a built-in builds its ESM facade by reading
 * every export, and node:http's lazy ones load Node's internal undici (about
 * 30 ms before the first line runs); an ESM import of a CommonJS package
 * first scans its source for export names. require() does neither. import()
 * stays as it is: it already loads on first use.
 */
export function requireExternals(externals = BUNDLE_EXTERNAL) {
  return {
    name: 'flotilla-require-externals',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'import-statement') return undefined;
        if (!isBuiltin(args.path) && !matchesExternal(args.path, externals)) return undefined;
        return { path: args.path, namespace: 'flotilla-require' };
      });
      build.onLoad({ filter: /.*/, namespace: 'flotilla-require' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * The first lines of an ESM bundle: `require` for its CommonJS parts, then
 * Node's compile cache for every module it loads afterwards (the externals,
 * what loads on first use). The cache lives in NODE_COMPILE_CACHE when set,
 * else under $FLOTILLA_CACHE_DIR or ~/.cache/flotilla; where it cannot be
 * written (a read-only root filesystem) the process runs without it.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
export const BUNDLE_BANNER = [
  "import { createRequire as __flotillaRequire } from 'node:module';",
  'const require = __flotillaRequire(import.meta.url);',
  '(() => {',
  "  const { enableCompileCache, getCompileCacheDir } = require('node:module');",
  "  const { join } = require('node:path');",
  '  if (process.env.NODE_COMPILE_CACHE !== undefined || getCompileCacheDir() !== undefined) return;',
  "  const cache = process.env.FLOTILLA_CACHE_DIR ?? join(require('node:os').homedir(), '.cache', 'flotilla');",
  "  try { enableCompileCache(join(cache, 'node-compile-cache')); } catch {}",
  '})();',
].join('\n');

/**
 * Comments of the bundled packages keep a few hundred non-ASCII characters
 * (’, §, →), and one is enough for V8 to hold the whole script as a two-byte
 * string: 11 MiB of heap for a 5.8 MB bundle, in every process for its whole
 * life, instead of 5.6. esbuild writes code itself as ASCII (its default
 * charset escapes strings, regular expressions and identifiers), so what is
 * left sits in comments and becomes `?`, one per UTF-16 unit so that
 * source-map columns still hold.
 */
export function asciiComments() {
  return {
    name: 'flotilla-ascii-comments',
    setup(build) {
      build.onEnd(async (result) => {
        const file = build.initialOptions.outfile;
        if (result.errors.length > 0 || file === undefined || build.initialOptions.write === false) return;
        const text = await readFile(file, 'utf8');
        const ascii = text.replace(/[\u0080-\uffff]/g, '?');
        if (ascii !== text) await writeFile(file, ascii);
      });
    },
  };
}

/** esbuild options for one ESM bundle of a service's entry point. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external: BUNDLE_EXTERNAL,
  plugins: [requireExternals(), asciiComments()],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: BUNDLE_BANNER },
  logLevel: 'warning',
};
