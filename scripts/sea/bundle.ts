import { join } from 'node:path';
import { build } from 'esbuild';
import { consoleDirFromAssets } from './console-files.ts';
import { topLevelAwaitEntry } from './entry.ts';
import { lazyBuiltinsBanner } from './lazy-builtins.ts';
import { sqliteAddonFromAsset } from './native-addons.ts';
import { packageDirsFromAssets } from './package-files.ts';
import { entryPoint, type SeaInputKind, type SeaServiceName } from './services.ts';
import { snapshotPatches } from './snapshot-patches.ts';

const runtime = join(import.meta.dirname, 'runtime.ts');
const moduleShim = join(import.meta.dirname, 'module-shim.ts');

/**
 * One CommonJS file with everything a service runs, for an executable's main
 * script. It starts from the service's dist/main.js like dist/bundle.mjs does,
 * not from that bundle: the ESM bundle leaves its externals to a require()
 * made by createRequire at run time, which esbuild cannot follow. Here nothing
 * is left out but Node's built-ins; what the externals read from disk comes
 * from the executable's assets (runtime.ts). With `snapshot`, the script is
 * the one a start-up snapshot is built from (snapshot.ts).
 */
export async function bundleForSea(
  name: SeaServiceName,
  from: SeaInputKind,
  outfile: string,
  assetsHash: string,
  snapshot = false,
): Promise<void> {
  const entry = entryPoint(name, from);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    ...(from === 'source' ? { conditions: ['@flotilla/source'] } : {}),
    // pg's optional native binding (reached only through `pg.native`); not installed.
    external: ['pg-native'],
    define: {
      FLOTILLA_SEA_ASSETS_HASH: JSON.stringify(assetsHash),
      'import.meta.url': '__flotillaSeaImportMetaUrl',
      'import.meta.filename': '__flotillaSeaImportMetaFilename',
      'import.meta.dirname': '__flotillaSeaImportMetaDirname',
    },
    inject: [runtime],
    // A start-up snapshot cannot hold node:http and its kin: they load on first use (lazy-builtins.ts).
    ...(snapshot ? { banner: { js: lazyBuiltinsBanner() } } : {}),
    plugins: [
      topLevelAwaitEntry(entry, snapshot),
      ...(snapshot ? [snapshotPatches()] : []),
      sqliteAddonFromAsset(runtime),
      packageDirsFromAssets(runtime),
      consoleDirFromAssets(runtime),
      {
        name: 'flotilla-sea-module-shim',
        setup(b) {
          b.onResolve({ filter: /^(node:)?module$/ }, (args) =>
            args.importer === moduleShim || /[\\/]node_modules[\\/]/.test(args.importer) ? undefined : { path: moduleShim },
          );
        },
      },
    ],
    legalComments: 'none',
    logLevel: 'error',
  });
}
