// etcd 3.5, built once from its Go module (scripts/test-services/etcd/go.mod)
// and cached under ~/.cache/flotilla/bin. Debian's etcd-server (3.4) is used
// only when no Go toolchain exists on the machine.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AptNeeds, RunningServer, ServerContext, TestServer } from './types.ts';
import { goBuild, goTool } from './lib/go-build.ts';
import { cacheDir, isExecutable } from './lib/paths.ts';
import { launch } from './lib/proc.ts';
import { waitUntilReady, withFreePorts } from './lib/ready.ts';
import { httpOk } from './lib/probes.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';
import { aptInstall } from './lib/apt.ts';

const MODULE_DIR = fileURLToPath(new URL('./etcd/', import.meta.url));
const DEBIAN_PACKAGE = 'etcd-server';
const DEBIAN_BIN = '/usr/bin/etcd';

/** The etcd version go.mod pins, e.g. "v3.5.35". */
export function etcdVersion(): string {
  const goMod = readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');
  const match = /go\.etcd\.io\/etcd\/server\/v3 (v3\.\d+\.\d+)/.exec(goMod);
  if (!match?.[1]) throw new Error(`etcd: cannot find the go.etcd.io/etcd/server/v3 version in ${MODULE_DIR}go.mod`);
  return match[1];
}

function cachedBin(): string {
  return join(cacheDir(), 'bin', `etcd-${etcdVersion()}`);
}

/** The etcd binary to run, or undefined when not installed yet. */
export function etcdBin(): string | undefined {
  if (isExecutable(cachedBin())) return cachedBin();
  if (!goTool() && isExecutable(DEBIAN_BIN)) return DEBIAN_BIN;
  return undefined;
}

function missingAptPackages(): string[] {
  return etcdBin() || goTool() ? [] : [DEBIAN_PACKAGE];
}

async function installEtcd(log: Log): Promise<void> {
  if (etcdBin()) return;
  const go = goTool();
  if (go) return goBuild({ what: `etcd ${etcdVersion()}`, moduleDir: MODULE_DIR, out: cachedBin(), log });
  log(`no Go toolchain: falling back to Debian ${DEBIAN_PACKAGE} (etcd 3.4)`);
  await aptInstall(missingAptPackages(), log);
}

export interface EtcdOptions {
  /** Holds data/ and etcd.log; start again with the same dir and ports to restart with the data. */
  dir: string;
  clientPort?: number;
  peerPort?: number;
  /** Member name; default "flotilla-test". */
  name?: string;
  log?: Log;
  readyTimeoutMs?: number;
}

export interface RunningEtcd extends RunningServer {
  /** http://127.0.0.1:CLIENT_PORT */
  endpoint: string;
  clientPort: number;
  peerPort: number;
  dir: string;
  logFile: string;
  bin: string;
}

/** Starts a single-member etcd (or restarts it, if dir already holds its data). */
export async function startEtcd(opts: EtcdOptions): Promise<RunningEtcd> {
  const log = opts.log ?? stderrLog;
  const began = Date.now();
  await installEtcd(log);
  const bin = etcdBin();
  if (!bin) throw new Error('etcd: no etcd binary after install');
  const dir = resolve(opts.dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'etcd.log');
  const name = opts.name ?? 'flotilla-test';
  mkdirSync(dir, { recursive: true });
  const restarting = existsSync(join(dataDir, 'member'));

  return withFreePorts([opts.clientPort, opts.peerPort], async ([clientPort, peerPort]) => {
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const proc = launch({
      name: 'etcd',
      command: bin,
      args: [
        `--name=${name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${name}=${peer}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=flotilla-test',
        // Test data is disposable: skip fsync (3.5+ only).
        ...(bin === DEBIAN_BIN ? [] : ['--unsafe-no-fsync']),
      ],
      cwd: dir,
      logFile,
      stopSignal: 'SIGTERM',
    });
    await waitUntilReady({
      name: 'etcd',
      process: proc,
      address: `127.0.0.1:${clientPort}`,
      probe: () => httpOk(`${client}/health`, (body) => /"health"\s*:\s*"true"/.test(body)),
      timeoutMs: opts.readyTimeoutMs,
    });
    log(`etcd ${restarting ? 're' : ''}started and ready on 127.0.0.1:${clientPort} (${seconds(began)})`);
    return {
      endpoint: client,
      clientPort: clientPort!,
      peerPort: peerPort!,
      dir,
      logFile,
      bin,
      env: { FLOTILLA_TEST_ETCD_ENDPOINTS: client, FLOTILLA_TEST_ETCD_BIN: bin },
      stop: () => proc.stop(),
    };
  });
}

export const etcdServer: TestServer & AptNeeds = {
  name: 'etcd',
  missingAptPackages,
  install: installEtcd,
  start: (ctx: ServerContext) => startEtcd({ dir: ctx.dir, log: ctx.log }),
};
