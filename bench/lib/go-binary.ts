/**
 * A benchmark peer written in Go, built once from its module into
 * ~/.cache/flotilla/bin/<name>-<hash>. The hash covers go.mod, go.sum and every
 * .go file of the module, so an edit builds a new binary and an unchanged
 * module reuses the cached one. As scripts/test-services/etcd.ts does, the
 * build runs under flock, so two benches starting at once wait for one build
 * instead of racing, and lands by rename, so a half-written binary is never run.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLogTail } from '../../scripts/test-services/lib/logtail.ts';
import { cacheDir, findOnPath, isExecutable } from '../../scripts/test-services/lib/paths.ts';

export interface GoBinaryOptions {
  /** The binary's name in the cache, before the hash. */
  name: string;
  /** The directory holding go.mod. */
  moduleDir: string;
  /** cgo on (a C library inside, e.g. SQLite) or off. */
  cgo: boolean;
  log: (message: string) => void;
}

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file === 'go.mod' || file === 'go.sum' || file.endsWith('.go'))
    .sort();
}

/** The first 16 hex digits of SHA-256 over each module file's path and content. */
export function moduleHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of moduleFiles(dir)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(dir, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Where the binary of the module as it is now lives (built or not). */
export function goBinaryPath(name: string, moduleDir: string): string {
  return join(cacheDir(), 'bin', `${name}-${moduleHash(moduleDir)}`);
}

/** The cached binary, built first if this version of the module has none yet (needs Go and the module proxy, once). */
export async function ensureGoBinary(opts: GoBinaryOptions): Promise<string> {
  const out = goBinaryPath(opts.name, opts.moduleDir);
  if (isExecutable(out)) return out;
  const go = findOnPath('go', ['/usr/local/go/bin']);
  if (go === undefined) throw new Error(`${opts.name}: building it needs the Go toolchain (\`go\` on PATH or in /usr/local/go/bin)`);
  mkdirSync(join(cacheDir(), 'bin'), { recursive: true });
  mkdirSync(join(cacheDir(), 'logs'), { recursive: true });
  const logFile = join(cacheDir(), 'logs', `${opts.name}-build-${Date.now()}.log`);
  const began = performance.now();
  opts.log(`building ${opts.name} from ${opts.moduleDir} (once per version of the module; log: ${logFile})`);
  const script = 'test -x "$1" || { nice -n 10 "$2" build -trimpath -ldflags="-s -w" -o "$1.tmp.$$" . && mv "$1.tmp.$$" "$1"; }';
  const fd = openSync(logFile, 'a');
  let code: number | null;
  try {
    code = await new Promise<number | null>((done, fail) => {
      const child = spawn('flock', ['-w', '1800', `${out}.lock`, 'sh', '-c', script, 'sh', out, go], {
        cwd: opts.moduleDir,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false', CGO_ENABLED: opts.cgo ? '1' : '0' },
      });
      child.once('error', fail);
      child.once('exit', done);
    });
  } finally {
    closeSync(fd);
  }
  if (code !== 0 || !isExecutable(out))
    throw new Error(`${opts.name}: go build failed (exit ${code}); last lines of ${logFile}:\n${readLogTail(logFile)}`);
  opts.log(`built ${out} (${((performance.now() - began) / 1000).toFixed(1)} s)`);
  return out;
}
