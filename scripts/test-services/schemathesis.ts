// Schemathesis, the OpenAPI fuzzer of test/fuzz: a Python venv made once
// with the machine's `python3 -m venv` under ~/.cache/flotilla, holding
// exactly the packages schemathesis/requirements.txt pins. A tool, not a
// server: nothing is started here, so it is not in servers.ts.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall } from './lib/apt.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';
import { readLogTail } from './lib/logtail.ts';
import { cacheDir, findOnPath, isExecutable } from './lib/paths.ts';

const REQUIREMENTS = fileURLToPath(new URL('./schemathesis/requirements.txt', import.meta.url));
/** Written into the venv last, a copy of the requirements it was built from. */
const STAMP = '.flotilla-requirements';
const DEBIAN_PYTHON = '/usr/bin/python3';
const MIN_PYTHON = [3, 11] as const;

/** The Schemathesis version requirements.txt pins, e.g. "4.32.5". */
export function schemathesisVersion(): string {
  const match = /^schemathesis==(\S+)$/m.exec(readFileSync(REQUIREMENTS, 'utf8'));
  if (!match?.[1]) throw new Error(`schemathesis: no "schemathesis==<version>" line in ${REQUIREMENTS}`);
  return match[1];
}

/** The venv folder, `~/.cache/flotilla/schemathesis-<version>`. */
export function schemathesisDir(): string {
  return join(cacheDir(), `schemathesis-${schemathesisVersion()}`);
}

function installed(dir: string): string | undefined {
  const bin = join(dir, 'bin', 'st');
  try {
    if (isExecutable(bin) && readFileSync(join(dir, STAMP), 'utf8') === readFileSync(REQUIREMENTS, 'utf8')) return bin;
  } catch {
    // no stamp yet: not (completely) installed
  }
  return undefined;
}

/** True when `python` runs, is new enough and can make a venv with pip in it. */
function pythonCanMakeVenvs(python: string): boolean {
  const check = `import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (${MIN_PYTHON.join(', ')}) else 3)`;
  return spawnSync(python, ['-c', check], { stdio: 'ignore' }).status === 0;
}

/** The machine's python3; on Debian, its python3-venv is installed when missing (ensurepip lives there). */
async function machinePython(log: Log): Promise<string> {
  const python = findOnPath('python3');
  if (python !== undefined && pythonCanMakeVenvs(python)) return python;
  if (python === undefined || python === DEBIAN_PYTHON) {
    await aptInstall(['python3', 'python3-venv'], log);
    if (pythonCanMakeVenvs(DEBIAN_PYTHON)) return DEBIAN_PYTHON;
  }
  throw new Error(
    `schemathesis: ${python ?? 'python3'} cannot make a venv with pip (Python ${MIN_PYTHON.join('.')}+ with venv and ensurepip is needed)`,
  );
}

// Under flock, so parallel test processes wait for one install. The venv is
// built in place (its scripts name its own path), and the stamp is copied in
// last: a venv without a matching stamp is incomplete or stale and is rebuilt.
// --no-deps installs nothing the list does not name; `pip check` proves the
// list complete. pip reaches its index the way the machine configures it.
const INSTALL_SCRIPT = `
set -eu
dir="$1"; requirements="$2"; python="$3"; stamp="$dir/${STAMP}"
if [ -x "$dir/bin/st" ] && cmp -s "$requirements" "$stamp"; then exit 0; fi
rm -rf "$dir"
nice -n 10 "$python" -m venv "$dir"
nice -n 10 "$dir/bin/python" -m pip install --no-input --no-deps --only-binary=:all: -r "$requirements"
"$dir/bin/python" -m pip check
"$dir/bin/st" --version
cp "$requirements" "$stamp.tmp"
mv "$stamp.tmp" "$stamp"
`;

/**
 * The path of the `st` executable of the pinned Schemathesis, installing it
 * first when the cache lacks it (a minute or so, once per machine and pin set).
 */
export async function ensureSchemathesis(log: Log = stderrLog): Promise<string> {
  const dir = schemathesisDir();
  const ready = installed(dir);
  if (ready !== undefined) return ready;
  const python = await machinePython(log);
  mkdirSync(join(cacheDir(), 'logs'), { recursive: true });
  const logFile = join(cacheDir(), 'logs', `schemathesis-install-${Date.now()}.log`);
  const began = Date.now();
  log(`installing Schemathesis ${schemathesisVersion()} into ${dir} (first run only; log: ${logFile})`);
  const fd = openSync(logFile, 'a');
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('flock', ['-w', '900', `${dir}.lock`, 'sh', '-c', INSTALL_SCRIPT, 'sh', dir, REQUIREMENTS, python], {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
      });
      child.once('error', reject);
      child.once('exit', resolve);
    });
  } finally {
    closeSync(fd);
  }
  const bin = installed(dir);
  if (code !== 0 || bin === undefined) {
    throw new Error(`schemathesis: install failed (exit ${code}); last lines of ${logFile}:\n${readLogTail(logFile)}`);
  }
  log(`Schemathesis ${schemathesisVersion()} ready in ${dir} (${seconds(began)})`);
  return bin;
}
