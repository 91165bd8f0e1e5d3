// The esbuild settings every Flotilla bundle shares: scripts/bundle.mjs (what
// `npm start` and the images run), the gateway benchmarks' bundles from source,
// and the image builder's list of packages shipped beside the bundles.

/**
 * Packages left out of the bundles and loaded from node_modules at run time:
 * they read files next to their own code (protos, worker scripts, static
 * assets), load native addons, or are loaded by a computed require (the pg and
 * mysql2 drivers, only for a postgres:// or mysql:// DSN).
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
  '@opentelemetry/*',
  'undici',
];

/** esbuild options for one ESM bundle of a service's entry point. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external: BUNDLE_EXTERNAL,
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __flotillaRequire } from 'node:module'; const require = __flotillaRequire(import.meta.url);" },
  logLevel: 'warning',
};
