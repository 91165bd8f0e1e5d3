// Prometheus 2.42 from Debian's prometheus package. No shared instance is
// started: tests start their own with their own scrape config.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AptNeeds, RunningServer, TestServer } from './types.ts';
import { isExecutable } from './lib/paths.ts';
import { launch } from './lib/proc.ts';
import { waitUntilReady, withFreePorts } from './lib/ready.ts';
import { httpOk } from './lib/probes.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';
import { aptInstall } from './lib/apt.ts';

const APT_PACKAGE = 'prometheus';
export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';

function missingAptPackages(): string[] {
  return isExecutable(PROMETHEUS_BIN) && isExecutable(PROMTOOL_BIN) ? [] : [APT_PACKAGE];
}

function binEnv(): Record<string, string> {
  return { FLOTILLA_TEST_PROMETHEUS_BIN: PROMETHEUS_BIN, FLOTILLA_TEST_PROMTOOL_BIN: PROMTOOL_BIN };
}

export interface PrometheusOptions {
  /** prometheus.yml with the test's scrape config. */
  configFile: string;
  /** Holds data/ (TSDB) and prometheus.log; reuse it to restart with the data. */
  dir: string;
  port?: number;
  /** Extra flags, e.g. ['--web.enable-lifecycle']. */
  args?: string[];
  log?: Log;
  readyTimeoutMs?: number;
}

export interface RunningPrometheus extends RunningServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  dir: string;
  logFile: string;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const log = opts.log ?? stderrLog;
  const began = Date.now();
  if (missingAptPackages().length > 0) throw new Error(`prometheus: ${PROMETHEUS_BIN} not found; install ${APT_PACKAGE}`);
  const dir = resolve(opts.dir);
  const logFile = join(dir, 'prometheus.log');
  mkdirSync(dir, { recursive: true });

  return withFreePorts([opts.port], async ([port]) => {
    const url = `http://127.0.0.1:${port}`;
    const proc = launch({
      name: 'prometheus',
      command: PROMETHEUS_BIN,
      args: [
        `--config.file=${resolve(opts.configFile)}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        ...(opts.args ?? []),
      ],
      cwd: dir,
      logFile,
      stopSignal: 'SIGTERM',
    });
    await waitUntilReady({
      name: 'prometheus',
      process: proc,
      address: `127.0.0.1:${port}`,
      probe: () => httpOk(`${url}/-/ready`),
      timeoutMs: opts.readyTimeoutMs,
    });
    log(`prometheus ready on 127.0.0.1:${port} (${seconds(began)})`);
    return { url, port: port!, dir, logFile, env: { ...binEnv(), FLOTILLA_TEST_PROMETHEUS_URL: url }, stop: () => proc.stop() };
  });
}

/** Install-only entry: exports the binaries' paths; nothing runs. */
export const prometheusServer: TestServer & AptNeeds = {
  name: 'prometheus',
  missingAptPackages,
  async install(log) {
    await aptInstall(missingAptPackages(), log);
  },
  async start() {
    if (missingAptPackages().length > 0) throw new Error(`prometheus: ${PROMETHEUS_BIN} not found; install ${APT_PACKAGE}`);
    return { env: binEnv(), stop: async () => {} };
  },
};
