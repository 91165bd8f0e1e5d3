// What else the machine is doing while the operator bench runs: the load average, and the
// CPU seconds of each control-plane process (found in /proc by the bench's own directory in
// their command lines), so a run can say who used the two cores.
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from '../lib/proc-stats.ts';

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const COMPONENTS: [string, RegExp][] = [
  ['kube-apiserver', /kube-apiserver/],
  ['kube-controller-manager', /kube-controller-manager/],
  ['etcd', /etcd/],
];

/** pids of kube-apiserver, kube-controller-manager and etcd whose command line names `dir`. */
export function controlPlanePids(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (!cmdline.includes(dir)) continue;
    const program = cmdline.split(' ')[0] ?? '';
    for (const [name, pattern] of COMPONENTS) if (pattern.test(program) && !found.has(name)) found.set(name, Number(entry));
  }
  return found;
}

/** CPU seconds used so far by each named pid (0 once a process is gone). */
export function cpuByProcess(pids: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, pid] of pids) {
    try {
      out.set(name, cpuSeconds(pid));
    } catch {
      out.set(name, 0);
    }
  }
  return out;
}

/** "name a.b s" for each process, the CPU seconds used between two readings. */
export function cpuDelta(before: Map<string, number>, after: Map<string, number>): string {
  return [...after].map(([name, seconds]) => `${name} ${(seconds - (before.get(name) ?? 0)).toFixed(1)} s`).join(', ');
}
