/** The state folder (`.flotilla/`, or FLOTILLA_HOME): SQLite files, the local registry and the config history go there. */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Check, failed, firstLine, passed } from './check.ts';

export const homeWritable: Check = async ({ home }) => {
  const fix = `set FLOTILLA_HOME to a folder you can write, or make ${home} writable`;
  let existing = home;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) return [failed('home', `${home} cannot be made: ${existing} is not a folder`, fix)];
  try {
    // A real write, not access(2): it also catches read-only file systems and full disks.
    rmSync(mkdtempSync(join(existing, '.flotilla-doctor-')), { recursive: true });
  } catch (error) {
    return [failed('home', `${existing} is not writable: ${firstLine(error)}`, fix)];
  }
  return [passed('home', existing === home ? `${home} is writable` : `${home} does not exist yet and can be created`)];
};
