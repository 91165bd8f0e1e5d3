/**
 * What a service's executable embeds and writes out on first use
 * (runtime.ts): better-sqlite3's addon, the files packages read beside their
 * code, and the gateway's console; and the hash that names the folder they
 * are written to. The image build ships the same files, read from here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { consoleAssets } from './console-files.ts';
import { SQLITE_ADDON_ASSET, sqliteAddonFile } from './native-addons.ts';
import { packageAssets } from './package-files.ts';

export interface SeaAssets {
  /** The folder the assets go in (`FLOTILLA_SEA_ASSETS_DIR/<hash>`): a hash of their keys and bytes. */
  hash: string;
  /** Asset key → file on disk. */
  files: Record<string, string>;
  /** The key of the native addon. */
  addon: string;
}

export function seaAssets(name: string): SeaAssets {
  const files = { [SQLITE_ADDON_ASSET]: sqliteAddonFile(), ...packageAssets(), ...(name === 'gateway' ? consoleAssets() : {}) };
  const hash = createHash('sha256');
  for (const [key, file] of Object.entries(files)) hash.update(key).update(readFileSync(file));
  return { hash: hash.digest('hex').slice(0, 16), files, addon: SQLITE_ADDON_ASSET };
}
