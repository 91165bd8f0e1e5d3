/**
 * How many CPUs this process may keep busy: the CPUs it may run on
 * (`os.availableParallelism()`, the affinity mask) capped by the CPU limit of
 * its cgroup, as a container runtime sets it from a Pod's `limits.cpu`.
 *
 * Node's own figure is not enough: libuv reads the limit on cgroup v2, but on
 * cgroup v1 it only finds a `cpu,cpuacct` hierarchy under a fixed path, so a
 * limit on a separately mounted `cpu` controller (as on this project's
 * machines) is ignored. Here both versions are read the way the kernel applies
 * them: the process's cgroup from /proc/self/cgroup, where that hierarchy is
 * mounted from /proc/self/mountinfo, then the tightest quota from there up to
 * the mount's root.
 *
 * `FLOTILLA_CPU_BUDGET` (a whole number of CPUs) caps it further: the operator
 * sets it from a Pod's CPU limit, or its request when there is no limit, since
 * a request leaves no trace in the cgroup that a count could be read from.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';

export interface CpuBudget {
  /** Whole CPUs: the limit rounded down (a worker at full speed uses one CPU), at least 1. */
  readonly cpus: number;
  /** CPUs the affinity mask allows. */
  readonly available: number;
  /** The tightest cap in CPUs (a cgroup's quota / period, or FLOTILLA_CPU_BUDGET), when there is one. */
  readonly limit: number | undefined;
  /** Where that cap was read, for the start-up log line. */
  readonly source: 'cgroup v1' | 'cgroup v2' | typeof BUDGET_ENV | 'none';
}

/** CPUs the platform grants, when it says so (the operator does, from the Pod's resources). */
export const BUDGET_ENV = 'FLOTILLA_CPU_BUDGET';

export interface CpuBudgetOptions {
  /** The file system root holding proc/ and sys/ (tests point it at a folder of their own). */
  root?: string;
  /** CPUs the affinity mask allows; `os.availableParallelism()` by default. */
  available?: number;
  /** Where FLOTILLA_CPU_BUDGET is read; `process.env` by default. A value that is not a whole number ≥ 1 is ignored. */
  env?: Record<string, string | undefined>;
}

interface Mount {
  /** The path inside the hierarchy that is mounted (not `/` inside a container without its own cgroup namespace). */
  root: string;
  point: string;
  type: string;
  superOptions: string[];
}

export function cpuBudget(options: CpuBudgetOptions = {}): CpuBudget {
  const root = options.root ?? '/';
  const available = Math.max(1, options.available ?? availableParallelism());
  let found = cgroupLimit(root);
  const declared = Number((options.env ?? process.env)[BUDGET_ENV]);
  if (Number.isInteger(declared) && declared >= 1 && (found === undefined || declared < found.limit))
    found = { limit: declared, source: BUDGET_ENV };
  const limit = found?.limit;
  const cpus = limit === undefined ? available : Math.max(1, Math.min(available, Math.floor(limit + 1e-9)));
  return { cpus, available, limit, source: found?.source ?? 'none' };
}

function cgroupLimit(root: string): { limit: number; source: CpuBudget['source'] } | undefined {
  const memberships = readText(join(root, 'proc/self/cgroup'));
  const mountinfo = readText(join(root, 'proc/self/mountinfo'));
  if (memberships === undefined || mountinfo === undefined) return undefined;
  const mounts = mountinfo.split('\n').flatMap(parseMount);
  const lines = memberships.split('\n').flatMap(parseMembership);

  // Hybrid systems keep the cpu controller on v1 and an empty v2 hierarchy: v1 first.
  const v1 = lines.find((line) => line.controllers.includes('cpu'));
  if (v1 !== undefined) {
    const mount = mounts.find((m) => m.type === 'cgroup' && m.superOptions.includes('cpu'));
    if (mount !== undefined) {
      const limit = tightest(root, mount, v1.path, (dir) => {
        const quota = readNumber(join(dir, 'cpu.cfs_quota_us'));
        const period = readNumber(join(dir, 'cpu.cfs_period_us'));
        return quota === undefined || period === undefined || quota <= 0 || period <= 0 ? undefined : quota / period;
      });
      if (limit !== undefined) return { limit, source: 'cgroup v1' };
    }
  }
  const v2 = lines.find((line) => line.id === '0' && line.controllers.length === 0);
  if (v2 !== undefined) {
    const mount = mounts.find((m) => m.type === 'cgroup2');
    if (mount !== undefined) {
      const limit = tightest(root, mount, v2.path, (dir) => {
        const [quota, period] = (readText(join(dir, 'cpu.max')) ?? '').trim().split(/\s+/);
        const q = Number(quota);
        const p = Number(period);
        // "max 100000" is no limit.
        return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : undefined;
      });
      if (limit !== undefined) return { limit, source: 'cgroup v2' };
    }
  }
  return undefined;
}

/** The smallest limit from the process's cgroup up to the top of what is mounted. */
function tightest(root: string, mount: Mount, cgroupPath: string, limitIn: (dir: string) => number | undefined): number | undefined {
  // Without a cgroup namespace the path is the host's; the mount then shows only its own part of it.
  const relative =
    cgroupPath === mount.root || cgroupPath.startsWith(`${mount.root === '/' ? '' : mount.root}/`)
      ? posix.relative(mount.root, cgroupPath)
      : '';
  const segments = relative === '' ? [] : relative.split('/');
  let smallest: number | undefined;
  for (let depth = segments.length; depth >= 0; depth--) {
    const limit = limitIn(join(root, mount.point, ...segments.slice(0, depth)));
    if (limit !== undefined && (smallest === undefined || limit < smallest)) smallest = limit;
  }
  return smallest;
}

function parseMembership(line: string): Array<{ id: string; controllers: string[]; path: string }> {
  const first = line.indexOf(':');
  const second = line.indexOf(':', first + 1);
  if (first < 0 || second < 0) return [];
  const controllers = line.slice(first + 1, second);
  return [{ id: line.slice(0, first), controllers: controllers === '' ? [] : controllers.split(','), path: line.slice(second + 1) }];
}

/** One line of /proc/self/mountinfo: `id parent dev root point options [optional…] - type source superOptions`. */
function parseMount(line: string): Mount[] {
  const fields = line.split(' ');
  const dash = fields.indexOf('-');
  if (dash < 6 || fields.length < dash + 4) return [];
  return [
    {
      root: unescapeOctal(fields[3] as string),
      point: unescapeOctal(fields[4] as string),
      type: fields[dash + 1] as string,
      superOptions: (fields[dash + 3] as string).split(','),
    },
  ];
}

/** mountinfo writes spaces, tabs, newlines and backslashes in paths as \ooo. */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(file: string): number | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}
