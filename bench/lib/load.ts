/**
 * Drives one load run: writes the spec, starts load-worker.ts in its own
 * (optionally pinned) process, and samples the server's CPU time across the
 * measured window so the table can show whether the server was saturated.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild } from './children.ts';
import { cpuSeconds } from './proc-stats.ts';

export type LoadKind =
  | { type: 'get'; pathPrefix: string; ids: string[] }
  /** POST JSON {name, email}; emails are `${emailPrefix}-${worker pid}-${counter}@example.com`, unique per run. */
  | { type: 'post'; path: string; emailPrefix: string }
  /** POST each of `bodies` (JSON text) in turn, over and over. */
  | { type: 'post-json'; path: string; bodies: string[] };

export interface LoadSpec {
  url: string;
  kind: LoadKind;
  connections: number;
  pipelining: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Sent with every request (e.g. `authorization`). */
  headers?: Record<string, string>;
  /** A fixed rate in requests per second (all connections together); unset: as fast as the server answers. */
  rate?: number;
}

export interface LoadResult {
  seconds: number;
  /** 2xx responses in the measured window. */
  ok: number;
  /** 2xx responses per second. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export interface MeasuredLoad extends LoadResult {
  /** CPU used by the server process during the measured window, in % of one core. */
  serverCpuPercent: number;
  /**
   * Server CPU time per 2xx response, in µs. Unlike req/s it does not depend on
   * whether the server or the load generator was the bottleneck, so it compares
   * targets fairly on a busy machine.
   */
  serverCpuMicrosPerRequest: number;
  /** CPU used by the load generator during the measured window, in % of one core. */
  loadCpuPercent: number;
  /** The measured window on the monotonic clock in µs (the clock V8 CPU profiles use). */
  windowMicros: { from: number; to: number };
}

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export async function runLoad(
  spec: LoadSpec,
  opts: { name: string; serverPid: number; cpus: string | undefined; workDir: string; repoRoot: string },
): Promise<MeasuredLoad> {
  const specFile = join(opts.workDir, `${opts.name.replace(/[^a-z0-9]+/gi, '-')}.load.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawnChild({
    name: `load ${opts.name}`,
    command: process.execPath,
    args: [WORKER, specFile],
    cwd: opts.repoRoot,
    env: process.env,
    cpus: opts.cpus,
    pipeStdout: true,
  });
  let cpuAtStart: { server: number; load: number; at: number; micros: number } | undefined;
  let result: MeasuredLoad | undefined;
  let buffered = '';
  child.process.stdout?.setEncoding('utf8');
  child.process.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const message = JSON.parse(line) as { phase: 'measuring' } | { phase: 'done'; result: LoadResult };
      if (message.phase === 'measuring') {
        cpuAtStart = { server: cpuSeconds(opts.serverPid), load: cpuSeconds(child.pid), at: performance.now(), micros: monotonicMicros() };
      } else if (cpuAtStart === undefined) {
        throw new Error(`${opts.name}: load generator reported a result before it started measuring`);
      } else {
        const seconds = (performance.now() - cpuAtStart.at) / 1000;
        const server = cpuSeconds(opts.serverPid) - cpuAtStart.server;
        const load = cpuSeconds(child.pid) - cpuAtStart.load;
        result = {
          ...message.result,
          serverCpuPercent: (100 * server) / seconds,
          serverCpuMicrosPerRequest: (1e6 * server) / message.result.ok,
          loadCpuPercent: (100 * load) / seconds,
          windowMicros: { from: cpuAtStart.micros, to: monotonicMicros() },
        };
      }
    }
  });
  const budgetMs = (spec.warmupSeconds + spec.durationSeconds + 30) * 1000;
  const timer = setTimeout(() => void child.stop(1_000), budgetMs);
  const exit = await child.exited;
  clearTimeout(timer);
  if (result === undefined)
    throw new Error(`${opts.name}: load generator exited (code ${exit.code}, signal ${exit.signal}) without a result`);
  return result;
}
