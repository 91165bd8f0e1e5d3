/**
 * Chromium, for the console's browser tests (playwright-core drives it):
 * Debian's package, installed on first use the way the servers' packages
 * are (one locked apt-get call). Never a downloaded browser build. A tool,
 * not a server: nothing is started here.
 */
import { aptInstall } from './lib/apt.ts';
import { type Log, stderrLog } from './lib/log.ts';
import { findOnPath, isExecutable } from './lib/paths.ts';

/** Where Debian's package puts it. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export async function ensureChromium(log: Log = stderrLog): Promise<string> {
  const found = isExecutable(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : findOnPath('chromium');
  if (found !== undefined) return found;
  await aptInstall(['chromium'], log);
  const installed = isExecutable(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : findOnPath('chromium');
  if (installed === undefined) throw new Error('test-services: chromium is not on PATH after installing the Debian package');
  return installed;
}
