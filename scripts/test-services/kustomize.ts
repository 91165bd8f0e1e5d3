// kustomize, built once from its Go module (scripts/test-services/kustomize/go.mod pins
// sigs.k8s.io/kustomize/kustomize/v5 as a `tool`) and cached under ~/.cache/flotilla/bin.
// A tool the tests run, not a server: nothing starts here. The delivery suites compare
// `kustomize build` of deploy/kubernetes/overlays/<env> with `flotilla deploy render`.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, findOnPath, isExecutable } from './lib/paths.ts';
import { readLogTail } from './lib/logtail.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';

const MODULE_DIR = fileURLToPath(new URL('./kustomize/', import.meta.url));
const PACKAGE = 'sigs.k8s.io/kustomize/kustomize/v5';

/** The kustomize version go.mod pins, e.g. "v5.8.2". */
export function kustomizeVersion(): string {
  const goMod = readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');
  const match = /sigs\.k8s\.io\/kustomize\/kustomize\/v5 (v5\.\d+\.\d+)/.exec(goMod);
  if (!match?.[1]) throw new Error(`kustomize: cannot find the ${PACKAGE} version in ${MODULE_DIR}go.mod`);
  return match[1];
}

function cachedBin(): string {
  return join(cacheDir(), 'bin', `kustomize-${kustomizeVersion()}`);
}

async function buildKustomize(go: string, log: Log): Promise<void> {
  const out = cachedBin();
  mkdirSync(join(cacheDir(), 'bin'), { recursive: true });
  mkdirSync(join(cacheDir(), 'logs'), { recursive: true });
  const logFile = join(cacheDir(), 'logs', `kustomize-build-${Date.now()}.log`);
  const began = Date.now();
  log(`building kustomize ${kustomizeVersion()} from its Go module (first run only; log: ${logFile})`);
  // flock: parallel test processes wait for one build instead of racing.
  const script = 'test -x "$1" || { nice -n 10 "$2" build -trimpath -ldflags="-s -w" -o "$1.tmp.$$" "$3" && mv "$1.tmp.$$" "$1"; }';
  const fd = openSync(logFile, 'a');
  let code: number | null;
  try {
    code = await new Promise<number | null>((done, fail) => {
      const child = spawn('flock', ['-w', '1800', `${out}.lock`, 'sh', '-c', script, 'sh', out, go, PACKAGE], {
        cwd: MODULE_DIR,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false', CGO_ENABLED: '0' },
      });
      child.once('error', fail);
      child.once('exit', done);
    });
  } finally {
    closeSync(fd);
  }
  if (code !== 0 || !isExecutable(out)) {
    throw new Error(`kustomize: go build failed (exit ${code}); last lines of ${logFile}:\n${readLogTail(logFile)}`);
  }
  log(`built ${out} (${seconds(began)})`);
}

let pending: Promise<string> | undefined;

/**
 * The path of the pinned kustomize binary, built on first use (needs the Go
 * toolchain and the Go module proxy; later calls find it in the cache).
 */
export function ensureKustomize(log: Log = stderrLog): Promise<string> {
  pending ??= (async () => {
    const bin = cachedBin();
    if (isExecutable(bin)) return bin;
    const go = findOnPath('go', ['/usr/local/go/bin']);
    if (go === undefined) throw new Error('kustomize: building it needs the Go toolchain (`go` on PATH or in /usr/local/go/bin)');
    await buildKustomize(go, log);
    return bin;
  })();
  pending.catch(() => {
    pending = undefined; // a failed build is retried by the next caller
  });
  return pending;
}

/** Runs kustomize with `args` (building it first if needed); rejects with its stderr when it fails. */
export async function kustomize(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const bin = await ensureKustomize();
  return new Promise((resolve, reject) => {
    execFile(bin, [...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve({ stdout, stderr });
      else reject(new Error(`kustomize ${args.join(' ')} failed: ${error.message}\n${stderr}`));
    });
  });
}
