// Bundles each runnable service into one ESM file (dist/bundle.mjs) after `tsc -b`.
// Why: a service imports ~1000 small ESM modules (typebox, kysely, fastify); resolving
// and compiling them dominates cold start. One file starts about twice as fast.
// The packages in BUNDLE_EXTERNAL stay external and resolve from node_modules as usual,
// loaded by require() (see scripts/bundle-settings.mjs); each bundle turns on Node's
// compile cache for what it loads after its first line. The bundle itself is
// compiled before that line runs: NODE_COMPILE_CACHE set in the environment
// caches it too (bench/startup/README.md has the figures).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_OPTIONS } from './bundle-settings.mjs';

const root = join(import.meta.dirname, '..');
const entries = ['services/users', 'services/orders', 'services/greeter', 'packages/gateway', 'packages/operator'];

await Promise.all(
  entries.map(async (dir) => {
    const entry = join(root, dir, 'dist', 'main.js');
    if (!existsSync(entry)) return;
    await build({
      ...BUNDLE_OPTIONS,
      entryPoints: [entry],
      outfile: join(root, dir, 'dist', 'bundle.mjs'),
      sourcemap: 'linked',
    });
  }),
);
