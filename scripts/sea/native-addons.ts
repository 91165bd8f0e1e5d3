import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { repoRoot } from './services.ts';

/** The asset key of better-sqlite3's compiled addon inside an executable. */
export const SQLITE_ADDON_ASSET = 'addons/better_sqlite3.node';

/**
 * The `.node` file better-sqlite3 loads in this Node (a build from source under
 * build/Release or one of its prebuilds, whichever the postinstall left
 * working): found by opening a database and looking for it among the loaded modules.
 */
export function sqliteAddonFile(): string {
  const require = createRequire(join(repoRoot, 'package.json'));
  const Database = require('better-sqlite3') as new (path: string) => { close(): void };
  new Database(':memory:').close();
  const addon = Object.keys(require.cache).find((path) => path.includes('better-sqlite3') && path.endsWith('.node'));
  if (addon === undefined) throw new Error('better-sqlite3 opened a database without loading a .node file from its package');
  return addon;
}

/**
 * better-sqlite3 finds its addon next to its own files (lib/binding.js) and
 * require()s it, neither of which an executable can do: its binding module is
 * replaced by one that dlopens the embedded copy. A `nativeBinding` option
 * passed as an object still wins, as in the original.
 */
export function sqliteAddonFromAsset(runtime: string): Plugin {
  return {
    name: 'flotilla-sea-sqlite-addon',
    setup(build) {
      build.onLoad({ filter: /[\\/]better-sqlite3[\\/]lib[\\/]binding\.js$/ }, () => ({
        contents: [
          `import { loadAddon } from ${JSON.stringify(runtime)};`,
          'export function getBinding(nativeBinding) {',
          "  if (typeof nativeBinding === 'object' && nativeBinding !== null) return nativeBinding;",
          `  return loadAddon(${JSON.stringify(SQLITE_ADDON_ASSET)});`,
          '}',
        ].join('\n'),
        loader: 'js',
      }));
    },
  };
}
