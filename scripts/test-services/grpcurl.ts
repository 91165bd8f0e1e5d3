// grpcurl, the command-line gRPC client, built once from its Go module
// (scripts/test-services/grpcurl/go.mod pins it as a `tool`) and cached under
// ~/.cache/flotilla/bin. A tool the tests run, not a server: nothing starts here.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, findOnPath, isExecutable } from './lib/paths.ts';
import { readLogTail } from './lib/logtail.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';

const MODULE_DIR = fileURLToPath(new URL('./grpcurl/', import.meta.url));
const PACKAGE = 'github.com/fullstorydev/grpcurl/cmd/grpcurl';

/** The grpcurl version go.mod pins, e.g. "v1.9.4". */
export function grpcurlVersion(): string {
  const goMod = readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');
  const match = /github\.com\/fullstorydev\/grpcurl (v\d+\.\d+\.\d+)/.exec(goMod);
  if (!match?.[1]) throw new Error(`grpcurl: cannot find the github.com/fullstorydev/grpcurl version in ${MODULE_DIR}go.mod`);
  return match[1];
}

function cachedBin(): string {
  return join(cacheDir(), 'bin', `grpcurl-${grpcurlVersion()}`);
}

async function buildGrpcurl(go: string, log: Log): Promise<void> {
  const out = cachedBin();
  mkdirSync(join(cacheDir(), 'bin'), { recursive: true });
  mkdirSync(join(cacheDir(), 'logs'), { recursive: true });
  const logFile = join(cacheDir(), 'logs', `grpcurl-build-${Date.now()}.log`);
  const began = Date.now();
  log(`building grpcurl ${grpcurlVersion()} from its Go module (first run only; log: ${logFile})`);
  // flock: parallel test processes wait for one build instead of racing.
  // main.version is what `grpcurl -version` prints (release builds set it the same way).
  const script =
    'test -x "$1" || { nice -n 10 "$2" build -trimpath -ldflags="-s -w -X main.version=$4" -o "$1.tmp.$$" "$3" && mv "$1.tmp.$$" "$1"; }';
  const fd = openSync(logFile, 'a');
  let code: number | null;
  try {
    code = await new Promise<number | null>((done, fail) => {
      const child = spawn('flock', ['-w', '1800', `${out}.lock`, 'sh', '-c', script, 'sh', out, go, PACKAGE, grpcurlVersion()], {
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
    throw new Error(`grpcurl: go build failed (exit ${code}); last lines of ${logFile}:\n${readLogTail(logFile)}`);
  }
  log(`built ${out} (${seconds(began)})`);
}

let pending: Promise<string> | undefined;

/**
 * The path of the pinned grpcurl binary, built on first use (needs the Go
 * toolchain and the Go module proxy; later calls find it in the cache).
 */
export function ensureGrpcurl(log: Log = stderrLog): Promise<string> {
  pending ??= (async () => {
    const bin = cachedBin();
    if (isExecutable(bin)) return bin;
    const go = findOnPath('go', ['/usr/local/go/bin']);
    if (go === undefined) throw new Error('grpcurl: building it needs the Go toolchain (`go` on PATH or in /usr/local/go/bin)');
    await buildGrpcurl(go, log);
    return bin;
  })();
  pending.catch(() => {
    pending = undefined; // a failed build is retried by the next caller
  });
  return pending;
}

export interface GrpcurlResult {
  /** 0 on success; for a failed RPC grpcurl exits with 64 + the gRPC status code. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs grpcurl with `args` (building it first if needed) and resolves with
 * its exit code and output, whatever the exit code. Asynchronous on purpose:
 * the server under test usually runs in this process and must keep serving.
 */
export async function grpcurl(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<GrpcurlResult> {
  const bin = await ensureGrpcurl();
  return new Promise((resolve, reject) => {
    execFile(bin, [...args], { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve({ exitCode: 0, stdout, stderr });
      else if (typeof error.code === 'number') resolve({ exitCode: error.code, stdout, stderr });
      else reject(new Error(`grpcurl ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
    });
  });
}
