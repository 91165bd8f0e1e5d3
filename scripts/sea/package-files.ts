import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import { repoRoot } from './services.ts';

/**
 * Bundled packages that read files beside their code at run time, and which of
 * their folders they read: @fastify/swagger-ui serves the UI from static/ (and
 * reads its logo when registered), etcd3 loads its .proto files when a service
 * uses etcd discovery. These folders are embedded as assets under
 * `packages/<name>/…` and written out on first use.
 */
export const PACKAGE_FILES: Record<string, string[]> = {
  '@fastify/swagger-ui': ['static'],
  etcd3: ['proto'],
};

/** Files of those folders nothing reads: swagger-ui's unbundled twin of swagger-ui-bundle.js, which the /docs page loads. */
const UNREAD = new Set(['@fastify/swagger-ui/static/swagger-ui.js']);

const modules = join(repoRoot, 'node_modules');

/** Asset key → file on disk, for every file of the folders above. */
export function packageAssets(): Record<string, string> {
  const assets: Record<string, string> = {};
  for (const [name, folders] of Object.entries(PACKAGE_FILES)) {
    for (const folder of folders) {
      const dir = join(modules, name, folder);
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = join(entry.parentPath, entry.name);
        const rel = relative(modules, file).split(sep).join('/');
        if (!UNREAD.has(rel)) assets[`packages/${rel}`] = file;
      }
    }
  }
  return assets;
}

/**
 * In those packages' modules `__dirname` (the executable's folder, once
 * bundled) becomes the matching folder of the written-out copy.
 */
export function packageDirsFromAssets(runtime: string): Plugin {
  const packages = Object.keys(PACKAGE_FILES).map((name) => join(modules, name) + sep);
  return {
    name: 'flotilla-sea-package-files',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        const owner = packages.find((dir) => args.path.startsWith(dir));
        if (owner === undefined) return undefined;
        const packageDir = relative(modules, owner).split(sep).join('/');
        const here = relative(owner, dirname(args.path)).split(sep).join('/');
        const dir = `require(${JSON.stringify(runtime)}).assetDir(${JSON.stringify(`packages/${packageDir}`)})`;
        const expression = here === '' ? dir : `require('node:path').join(${dir}, ${JSON.stringify(here)})`;
        const source = await readFile(args.path, 'utf8');
        return { contents: source.replace(/\b__dirname\b/g, `(${expression})`), loader: 'js' };
      });
    },
  };
}
