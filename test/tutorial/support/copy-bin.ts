/**
 * `npx flotilla` in a copy of the repository must run the copy's CLI (the
 * one its `npm start` built), as it does in a clone. The copy's
 * node_modules/.bin is a link to this repository's; here it becomes a folder
 * of links to the same programs, but `flotilla`, which points into the copy.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@flotilla/testing';

export function ownFlotillaBin(copyRoot: string): void {
  const bin = join(copyRoot, 'node_modules', '.bin');
  if (!lstatSync(bin).isSymbolicLink()) return;
  rmSync(bin);
  mkdirSync(bin);
  const shared = join(repoRoot, 'node_modules', '.bin');
  for (const entry of readdirSync(shared)) {
    if (entry === 'flotilla') symlinkSync(join('..', '@flotilla', 'cli', 'bin', 'flotilla.js'), join(bin, entry));
    else if (existsSync(join(shared, entry))) symlinkSync(realpathSync(join(shared, entry)), join(bin, entry));
  }
}
