/**
 * One load run against a process group: bench/lib/load-worker.ts in its own
 * process (autocannon), and the CPU time of every process of the group (the
 * primary and its workers, or independent processes) summed over the
 * measured window, from /proc.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild } from '../lib/children.ts';
import type { LoadResult, LoadSpec } from '../lib/load.ts';
import { cpuSeconds } from '../lib/proc-stats.ts';

const WORKER = fileURLToPath(new URL('../lib/load-worker.ts', import.meta.url));

export interface GroupLoad extends LoadResult {
  /** CPU time of the whole group per 2xx answer, in µs. */
  cpuMicrosPerRequest: number;
  /** The group's CPU over the window, in % of one core. */
  cpuPercent: number;
  loadCpuPercent: number;
}

/** `roots` and, recursively, their children: a cluster primary's workers. */
export function processTree(roots: number[]): number[] {
  const all: number[] = [];
  const visit = (pid: number): void => {
    all.push(pid);
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    } catch {
      return;
    }
    for (const child of text === '' ? [] : text.split(' ')) visit(Number(child));
  };
  for (const root of roots) visit(root);
  return all;
}

function groupCpu(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      return sum + cpuSeconds(pid);
    } catch {
      return sum;
    }
  }, 0);
}

export async function runGroupLoad(
  spec: LoadSpec,
  opts: { name: string; roots: number[]; workDir: string; repoRoot: string },
): Promise<GroupLoad> {
  const specFile = join(opts.workDir, `${opts.name.replace(/[^a-z0-9]+/gi, '-')}.load.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawnChild({
    name: `load ${opts.name}`,
    command: process.execPath,
    args: [WORKER, specFile],
    cwd: opts.repoRoot,
    env: process.env,
    pipeStdout: true,
  });
  let start: { pids: number[]; cpu: number; load: number; at: number } | undefined;
  let result: GroupLoad | undefined;
  let buffered = '';
  child.process.stdout?.setEncoding('utf8');
  child.process.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const message = JSON.parse(buffered.slice(0, newline)) as { phase: 'measuring' } | { phase: 'done'; result: LoadResult };
      buffered = buffered.slice(newline + 1);
      if (message.phase === 'measuring') {
        const pids = processTree(opts.roots);
        start = { pids, cpu: groupCpu(pids), load: cpuSeconds(child.pid), at: performance.now() };
      } else if (start !== undefined) {
        const seconds = (performance.now() - start.at) / 1000;
        const cpu = groupCpu(start.pids) - start.cpu;
        result = {
          ...message.result,
          cpuMicrosPerRequest: (1e6 * cpu) / message.result.ok,
          cpuPercent: (100 * cpu) / seconds,
          loadCpuPercent: (100 * (cpuSeconds(child.pid) - start.load)) / seconds,
        };
      }
    }
  });
  const timer = setTimeout(() => void child.stop(1_000), (spec.warmupSeconds + spec.durationSeconds + 30) * 1000);
  const exit = await child.exited;
  clearTimeout(timer);
  if (result === undefined) throw new Error(`${opts.name}: the load generator exited (${exit.code ?? exit.signal}) without a result`);
  return result;
}
