// kustomize, built once from its Go module (scripts/test-services/kustomize/go.mod pins
// sigs.k8s.io/kustomize/kustomize/v5 as a `tool`) and cached under ~/.cache/flotilla/bin.
// A tool the tests run, not a server: nothing starts here. The delivery suites compare
// `kustomize build` of deploy/kubernetes/overlays/<env> with `flotilla deploy render`.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBuild } from './lib/go-build.ts';
import { stderrLog, type Log } from './lib/log.ts';
import { cacheDir, isExecutable } from './lib/paths.ts';

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

let pending: Promise<string> | undefined;

/**
 * The path of the pinned kustomize binary, built on first use (needs the Go
 * toolchain and the Go module proxy; later calls find it in the cache).
 */
export function ensureKustomize(log: Log = stderrLog): Promise<string> {
  pending ??= (async () => {
    const bin = cachedBin();
    if (isExecutable(bin)) return bin;
    await goBuild({ what: `kustomize ${kustomizeVersion()}`, moduleDir: MODULE_DIR, out: bin, target: PACKAGE, log });
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
