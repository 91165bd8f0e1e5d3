// Installs Debian packages in one apt-get call, without letting their
// maintainer scripts start system daemons on the default ports.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, findOnPath, isRoot } from './paths.ts';
import { readLogTail } from './logtail.ts';
import { seconds, type Log } from './log.ts';

// Runs under flock so that parallel test processes queue instead of failing on
// apt's own lock. policy-rc.d exiting 101 is Debian's switch that tells
// invoke-rc.d "do not start services"; we only remove it if we created it.
const INSTALL_SCRIPT = `
set -eu
created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created=1
fi
cleanup() { if [ "$created" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
`;

export async function aptInstall(packages: string[], log: Log): Promise<void> {
  const wanted = [...new Set(packages)].sort();
  if (wanted.length === 0) return;
  const prefix: string[] = [];
  if (!isRoot()) {
    const sudo = findOnPath('sudo');
    if (!sudo) {
      throw new Error(`test-services: Debian packages missing (${wanted.join(' ')}) and not running as root; install them with apt-get`);
    }
    prefix.push(sudo, '-n');
  }
  const logDir = join(cacheDir(), 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `apt-${Date.now()}.log`);
  const began = Date.now();
  log(`installing Debian packages: ${wanted.join(' ')} (log: ${logFile})`);
  const argv = [...prefix, 'flock', '-w', '1800', '/tmp/flotilla-test-services-apt.lock', 'sh', '-c', INSTALL_SCRIPT, 'sh', ...wanted];
  const fd = openSync(logFile, 'a');
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd] });
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
  } finally {
    closeSync(fd);
  }
  if (code !== 0) {
    throw new Error(
      `test-services: apt-get install ${wanted.join(' ')} failed (exit ${code}); last lines of ${logFile}:\n${readLogTail(logFile)}`,
    );
  }
  log(`installed ${wanted.join(' ')} (${seconds(began)})`);
}
