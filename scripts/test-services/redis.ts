// Redis 7 from Debian's redis-server, in-memory only.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AptNeeds, RunningServer, ServerContext, TestServer } from './types.ts';
import { findOnPath } from './lib/paths.ts';
import { launch } from './lib/proc.ts';
import { waitUntilReady, withFreePorts } from './lib/ready.ts';
import { redisPing } from './lib/probes.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';
import { aptInstall } from './lib/apt.ts';

const APT_PACKAGE = 'redis-server';

export interface RedisOptions {
  /** Working dir; holds redis.log. */
  dir: string;
  port?: number;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  log?: Log;
  readyTimeoutMs?: number;
}

export interface RunningRedis extends RunningServer {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  dir: string;
  logFile: string;
}

/** Path of redis-server (tests may start their own instances with it). */
export function redisServerBin(): string | undefined {
  return findOnPath('redis-server');
}

function missingAptPackages(): string[] {
  return redisServerBin() ? [] : [APT_PACKAGE];
}

/** Starts a private Redis without persistence. Start again with the same port to "restart". */
export async function startRedis(opts: RedisOptions): Promise<RunningRedis> {
  const log = opts.log ?? stderrLog;
  const began = Date.now();
  const bin = redisServerBin();
  if (!bin) throw new Error(`redis: redis-server not found; install ${APT_PACKAGE}`);
  const dir = resolve(opts.dir);
  const logFile = join(dir, 'redis.log');
  mkdirSync(dir, { recursive: true });

  return withFreePorts([opts.port], async ([port]) => {
    const proc = launch({
      name: 'redis',
      command: bin,
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--protected-mode',
        'no',
        '--logfile',
        '',
        ...(opts.args ?? []),
      ],
      cwd: dir,
      logFile,
      stopSignal: 'SIGTERM',
    });
    await waitUntilReady({
      name: 'redis',
      process: proc,
      address: `127.0.0.1:${port}`,
      probe: () => redisPing(port!),
      timeoutMs: opts.readyTimeoutMs,
    });
    const url = `redis://127.0.0.1:${port}`;
    log(`redis ready on 127.0.0.1:${port} (${seconds(began)})`);
    return {
      url,
      port: port!,
      dir,
      logFile,
      env: { FLOTILLA_TEST_REDIS_URL: url, FLOTILLA_TEST_REDIS_BIN: bin },
      stop: () => proc.stop(),
    };
  });
}

export const redisServer: TestServer & AptNeeds = {
  name: 'redis',
  missingAptPackages,
  async install(log) {
    await aptInstall(missingAptPackages(), log);
  },
  start: (ctx: ServerContext) => startRedis({ dir: ctx.dir, log: ctx.log }),
};
