import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Plugin } from 'esbuild';
import { repoRoot } from './services.ts';

const built = join(repoRoot, 'packages', 'console', 'dist', 'static');
const ASSET_ROOT = 'gateway-console';

/**
 * The gateway serves the console's built files (`packages/console/dist/static`,
 * from `npm run build`) at /console/. Embedded under `gateway-console/console/…`:
 * @flotilla/console looks for them in a `console/` folder beside its bundle, as
 * a gateway image ships them. None when the console is not built (the gateway
 * then answers 503 there, as from the repository).
 */
export function consoleAssets(): Record<string, string> {
  if (!existsSync(join(built, 'index.html'))) return {};
  const assets: Record<string, string> = {};
  for (const entry of readdirSync(built, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    assets[`${ASSET_ROOT}/console/${relative(built, file).split(sep).join('/')}`] = file;
  }
  return assets;
}

/** In @flotilla/console's module, its own folder is the written-out `gateway-console/`. */
export function consoleDirFromAssets(runtime: string): Plugin {
  return {
    name: 'flotilla-sea-console-files',
    setup(build) {
      build.onLoad({ filter: /[\\/]packages[\\/]console[\\/](src|dist)[\\/]index\.(ts|js)$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const dir = `require(${JSON.stringify(runtime)}).assetDir(${JSON.stringify(ASSET_ROOT)})`;
        return { contents: source.replaceAll('import.meta.dirname', `(${dir})`), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}
