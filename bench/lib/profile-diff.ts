/**
 * Two CPU profiles of the same code under two settings, each over its own
 * measured window: self time per request by package and by function, sorted
 * by how much it grew from the first to the second. Benchmarks that load two
 * processes side by side (gateway tracing, gateway policies) print it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summariseProfile, type SelfTime } from './cpuprofile.ts';
import type { MeasuredLoad } from './load.ts';
import { fixed, renderTable } from './table.ts';

export interface ProfiledSide {
  label: string;
  /** Directory given to `--cpu-prof-dir` (one .cpuprofile in it once the process has exited). */
  profileDir: string;
  /** The run whose window and 2xx count the profile is cut to. */
  run: MeasuredLoad;
}

/** The only .cpuprofile in `dir`. */
export function profileFile(dir: string): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return join(dir, file);
}

/** The µs per request of each item, keyed by name. */
function perRequest(items: SelfTime[], requests: number): Map<string, number> {
  return new Map(items.map((item) => [item.name, (item.ms * 1000) / requests]));
}

function diffRows(a: Map<string, number>, b: Map<string, number>, limit: number): string[][] {
  return [...new Set([...a.keys(), ...b.keys()])]
    .map((name) => ({ name, a: a.get(name) ?? 0, b: b.get(name) ?? 0 }))
    .sort((x, y) => y.b - y.a - (x.b - x.a))
    .slice(0, limit)
    .map((row) => [row.name, fixed(row.a, 1), fixed(row.b, 1), fixed(row.b - row.a, 1)]);
}

/** The rendered comparison of `base` and `changed` (top `top` functions by growth). */
export function renderProfileDiff(base: ProfiledSide, changed: ProfiledSide, top: number): string {
  const [a, b] = [base, changed].map((side) => {
    const summary = summariseProfile(profileFile(side.profileDir), 100_000, side.run.windowMicros);
    return {
      packages: perRequest(summary.packages, side.run.ok),
      functions: perRequest(summary.functions, side.run.ok),
      busy: (summary.totalMs * 1000) / side.run.ok,
    };
  }) as [
    { packages: Map<string, number>; functions: Map<string, number>; busy: number },
    { packages: Map<string, number>; functions: Map<string, number>; busy: number },
  ];
  // Samples are wall time of the main thread while not idle: on a busy machine more than its CPU time, so read the shares.
  return [
    `CPU profiles over each side's measured window, sampled self time in µs per request (busy: ${base.label} ${fixed(a.busy, 1)}, ${changed.label} ${fixed(b.busy, 1)})`,
    '',
    renderTable(['package', base.label, changed.label, 'growth'], diffRows(a.packages, b.packages, 20)),
    '',
    renderTable([`function (largest growth first)`, base.label, changed.label, 'growth'], diffRows(a.functions, b.functions, top)),
  ].join('\n');
}
