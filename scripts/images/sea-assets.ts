/**
 * The files an executable writes out on first use (scripts/sea/runtime.ts),
 * here written out at build time into the image, read-only, at
 * /app/assets/<assets hash>/<key>: on a read-only root the executable has
 * nowhere else to put them but the state volume, from which a native addon
 * cannot be loaded when it is mounted noexec, and every start would write
 * them again. The list and its hash come from scripts/sea/assets.ts, as the
 * executable's build takes them; the hash must be in the executable.
 */
import type { SeaAssets } from '../sea/assets.ts';

/** Text of scripts/sea/runtime.ts's extraction, which esbuild drops from an executable that reads no asset (the operator's). */
const EXTRACTION = 'no writable folder to extract the executable';

/**
 * The assets to ship beside an executable, judged by its main script (the
 * bundle in its blob, searched as text: a start-up snapshot keeps no readable
 * copy of it): none when it never reads one; else they must be the ones it
 * carries (its code names their hash), or it was built from other assets
 * than these.
 */
export function assetsToShip(name: string, mainScript: string, assets: SeaAssets): SeaAssets | undefined {
  if (!mainScript.includes(EXTRACTION)) return undefined;
  if (!mainScript.includes(JSON.stringify(assets.hash)))
    throw new Error(
      `images: the ${name} executable does not name the asset folder ${assets.hash}: it was built from other assets than scripts/sea/assets.ts lists now`,
    );
  return assets;
}
