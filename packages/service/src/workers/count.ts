/** The `workers` setting as a number of processes, and how `auto` came to it. */
import { type CpuBudget, cpuBudget } from './cpu-budget.ts';

export interface WorkerCount {
  count: number;
  /** For `auto`: the CPU figures behind it. */
  budget: CpuBudget | undefined;
}

export function workerCount(setting: number | 'auto', budget: () => CpuBudget = () => cpuBudget()): WorkerCount {
  if (setting !== 'auto') return { count: setting, budget: undefined };
  const found = budget();
  return { count: found.cpus, budget: found };
}

/** "3 workers", "2 workers (auto: 2 CPUs)", "1 worker (auto: cgroup v1 limit 1.5 of 2 CPUs)", for the start-up line. */
export function describeCount({ count, budget }: WorkerCount): string {
  const workers = `${count} ${count === 1 ? 'worker' : 'workers'}`;
  if (budget === undefined) return workers;
  if (budget.limit === undefined) return `${workers} (auto: ${budget.available} CPUs)`;
  return `${workers} (auto: ${budget.source} limit ${Number(budget.limit.toFixed(2))} of ${budget.available} CPUs)`;
}
