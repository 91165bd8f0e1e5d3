/**
 * zsh, for the test of `flotilla completion zsh`: Debian's package, installed
 * on first use the way the servers' packages are (one locked apt-get call).
 * A tool, not a server: nothing is started.
 */
import { aptInstall } from './lib/apt.ts';
import { type Log, stderrLog } from './lib/log.ts';
import { findOnPath } from './lib/paths.ts';

export async function ensureZsh(log: Log = stderrLog): Promise<string> {
  const found = findOnPath('zsh');
  if (found !== undefined) return found;
  await aptInstall(['zsh'], log);
  const installed = findOnPath('zsh');
  if (installed === undefined) throw new Error('test-services: zsh is not on PATH after installing the Debian package');
  return installed;
}
