/**
 * Argo CD's own CustomResourceDefinitions (Application, ApplicationSet, AppProject), taken
 * from its Go module's source (manifests/crds/) through the Go module proxy and kept under
 * ~/.cache/flotilla/argocd-crds/<version>/. Never copied into the repository.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, findOnPath } from '../../../scripts/test-services/lib/paths.ts';

const MODULE = 'github.com/argoproj/argo-cd/v3';
/** The newest Argo CD whose module this machine's Go (1.26) downloads: v3.6 asks for Go 1.27. */
export const ARGOCD_VERSION = 'v3.5.8';
const FILES = ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'];

function cachedDir(): string {
  return join(cacheDir(), 'argocd-crds', ARGOCD_VERSION);
}

/** The module's folder in Go's module cache (downloaded and unpacked by `go mod download` on first use). */
async function moduleDir(): Promise<string> {
  const go = findOnPath('go', ['/usr/local/go/bin']);
  if (go === undefined) throw new Error('Argo CD CRDs: getting them needs the Go toolchain (`go` on PATH or in /usr/local/go/bin)');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(go, ['mod', 'download', '-json', `${MODULE}@${ARGOCD_VERSION}`], {
      cwd: tmpdir(), // outside any Go module
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      maxBuffer: 4 << 20,
      timeout: 600_000,
    }));
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`Argo CD CRDs: go mod download ${MODULE}@${ARGOCD_VERSION} failed: ${output || (error as Error).message}`);
  }
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (info.Dir === undefined) throw new Error(`Argo CD CRDs: go mod download gave no folder: ${info.Error ?? stdout}`);
  return info.Dir;
}

let pending: Promise<string[]> | undefined;

/** The three CRD files, fetched on first use; later calls (and runs) find them in the cache. */
export function argoCdCrds(): Promise<string[]> {
  pending ??= (async () => {
    const dir = cachedDir();
    const files = FILES.map((name) => join(dir, name));
    if (files.every((file) => existsSync(file))) return files;
    const source = join(await moduleDir(), 'manifests', 'crds');
    mkdirSync(dir, { recursive: true });
    for (const name of FILES) {
      // Copy, then rename: a parallel run never sees half a file.
      const partial = join(dir, `${name}.${process.pid}.tmp`);
      copyFileSync(join(source, name), partial);
      renameSync(partial, join(dir, name));
    }
    return files;
  })();
  pending.catch(() => {
    pending = undefined;
  });
  return pending;
}
