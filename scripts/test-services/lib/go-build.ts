// One Go build into the cache, shared by every tool and server built from a Go
// module (etcd, grpcurl, kustomize, the benchmarks' peers): under flock, so
// parallel test processes wait for one build instead of racing; niced; written
// to a temporary name and renamed, so a half-written binary is never run; its
// output kept in the cache's logs/ folder and quoted when the build fails.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, findOnPath, isExecutable } from './paths.ts';
import { readLogTail } from './logtail.ts';
import { seconds, type Log } from './log.ts';

export interface GoBuild {
  /** What is built, in messages and the log file's name, e.g. "grpcurl v1.9.4". */
  what: string;
  /** The folder holding go.mod. */
  moduleDir: string;
  /** The binary to write. */
  out: string;
  /** The package to build (default: the module's own, "."). */
  target?: string;
  /** Extra -ldflags after "-s -w" (e.g. "-X main.version=v1.9.4"). */
  ldflags?: string;
  /** cgo on (a C library inside, e.g. SQLite); off by default. */
  cgo?: boolean;
  /** -mod=readonly where go.sum must already be complete; -mod=mod (the default) lets go fill it in. */
  mod?: 'mod' | 'readonly';
  log: Log;
}

/** The go command, if this machine has one. */
export function goTool(): string | undefined {
  return findOnPath('go', ['/usr/local/go/bin']);
}

export async function goBuild(build: GoBuild): Promise<void> {
  const go = goTool();
  if (go === undefined) throw new Error(`${build.what}: building it needs the Go toolchain (\`go\` on PATH or in /usr/local/go/bin)`);
  mkdirSync(join(cacheDir(), 'bin'), { recursive: true });
  mkdirSync(join(cacheDir(), 'logs'), { recursive: true });
  const logFile = join(cacheDir(), 'logs', `${build.what.split(' ')[0]}-build-${Date.now()}.log`);
  const began = Date.now();
  build.log(`building ${build.what} from its Go module (once; log: ${logFile})`);
  const script = 'test -x "$1" || { nice -n 10 "$2" build -trimpath -ldflags="$4" -o "$1.tmp.$$" "$3" && mv "$1.tmp.$$" "$1"; }';
  const ldflags = ['-s -w', build.ldflags].filter(Boolean).join(' ');
  const fd = openSync(logFile, 'a');
  let code: number | null;
  try {
    code = await new Promise<number | null>((done, fail) => {
      const child = spawn(
        'flock',
        ['-w', '1800', `${build.out}.lock`, 'sh', '-c', script, 'sh', build.out, go, build.target ?? '.', ldflags],
        {
          cwd: build.moduleDir,
          stdio: ['ignore', fd, fd],
          env: { ...process.env, GOFLAGS: `-mod=${build.mod ?? 'mod'} -buildvcs=false`, CGO_ENABLED: build.cgo === true ? '1' : '0' },
        },
      );
      child.once('error', fail);
      child.once('exit', done);
    });
  } finally {
    closeSync(fd);
  }
  if (code !== 0 || !isExecutable(build.out)) {
    throw new Error(`${build.what}: go build failed (exit ${code}); last lines of ${logFile}:\n${readLogTail(logFile)}`);
  }
  build.log(`built ${build.out} (${seconds(began)})`);
}
