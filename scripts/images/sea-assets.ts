/**
 * The files an executable writes out on first use (scripts/sea/runtime.ts),
 * here written out at build time into the image, read-only, at
 * /app/assets/<assets hash>/<key>: on a read-only root the executable has
 * nowhere else to put them but the state volume, from which a native addon
 * cannot be loaded when it is mounted noexec, and every start would write
 * them again. The list and its hash are computed as scripts/sea/build.ts
 * computes them; the hash must be in the executable, or the two have drifted apart.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { consoleAssets } from '../sea/console-files.ts';
import { SQLITE_ADDON_ASSET, sqliteAddonFile } from '../sea/native-addons.ts';
import { packageAssets } from '../sea/package-files.ts';

export interface SeaAssets {
  /** FLOTILLA_SEA_ASSETS_HASH of the executable: the folder the assets go in. */
  hash: string;
  /** Asset key → file on disk. */
  files: Record<string, string>;
  /** The key of the native addon (stripped in the image). */
  addon: string;
}

export function seaAssets(name: string): SeaAssets {
  const files = { [SQLITE_ADDON_ASSET]: sqliteAddonFile(), ...packageAssets(), ...(name === 'gateway' ? consoleAssets() : {}) };
  const hash = createHash('sha256');
  for (const [key, file] of Object.entries(files)) hash.update(key).update(readFileSync(file));
  return { hash: hash.digest('hex').slice(0, 16), files, addon: SQLITE_ADDON_ASSET };
}

/** Text of scripts/sea/runtime.ts's extraction, which esbuild drops from an executable that reads no asset (the operator's). */
const EXTRACTION = 'no writable folder to extract the executable';

/**
 * The assets to ship beside an executable, judged by its main script (the
 * bundle in its blob, searched as text: a start-up snapshot keeps no readable
 * copy of it): none when it never reads one; else they must be the ones it
 * carries (its code names their hash), or scripts/sea/build.ts and this list
 * have drifted apart.
 */
export function assetsToShip(name: string, mainScript: string, assets: SeaAssets): SeaAssets | undefined {
  if (!mainScript.includes(EXTRACTION)) return undefined;
  if (!mainScript.includes(JSON.stringify(assets.hash)))
    throw new Error(
      `images: the ${name} executable does not name the asset folder ${assets.hash}: scripts/sea/build.ts embeds other assets than scripts/images/sea-assets.ts lists`,
    );
  return assets;
}
