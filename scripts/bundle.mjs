// Bundles each runnable service into one ESM file (dist/bundle.mjs) after `tsc -b`.
// Why: a service imports ~1000 small ESM modules (typebox, kysely, fastify); resolving
// and compiling them dominates cold start. One file starts about twice as fast.
// Packages that read files next to their own code at run time (protos, worker
// scripts, static assets) or load native addons stay external and resolve from
// node_modules as usual.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const entries = ['services/users', 'services/orders', 'services/greeter', 'packages/gateway', 'packages/operator'];
const external = [
  'better-sqlite3', 'pg', 'pg-native', 'mysql2',
  '@fastify/swagger-ui', '@grpc/*', 'etcd3', 'protobufjs', 'pino', 'pino-pretty',
  '@opentelemetry/*', 'undici',
];

await Promise.all(entries.map(async (dir) => {
  const entry = join(root, dir, 'dist', 'main.js');
  if (!existsSync(entry)) return;
  await build({
    entryPoints: [entry],
    outfile: join(root, dir, 'dist', 'bundle.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: 'linked',
    external,
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: { js: "import { createRequire as __flotillaRequire } from 'node:module'; const require = __flotillaRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}));
