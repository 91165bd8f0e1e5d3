// grpcurl, the command-line gRPC client, built once from its Go module
// (scripts/test-services/grpcurl/go.mod pins it as a `tool`) and cached under
// ~/.cache/flotilla/bin. A tool the tests run, not a server: nothing starts here.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBuild } from './lib/go-build.ts';
import { stderrLog, type Log } from './lib/log.ts';
import { cacheDir, isExecutable } from './lib/paths.ts';

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

let pending: Promise<string> | undefined;

/**
 * The path of the pinned grpcurl binary, built on first use (needs the Go
 * toolchain and the Go module proxy; later calls find it in the cache).
 */
export function ensureGrpcurl(log: Log = stderrLog): Promise<string> {
  pending ??= (async () => {
    const bin = cachedBin();
    if (isExecutable(bin)) return bin;
    // main.version is what `grpcurl -version` prints (release builds set it the same way).
    await goBuild({
      what: `grpcurl ${grpcurlVersion()}`,
      moduleDir: MODULE_DIR,
      out: bin,
      target: PACKAGE,
      ldflags: `-X main.version=${grpcurlVersion()}`,
      log,
    });
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
