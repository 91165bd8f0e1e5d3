/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per
 * function and per package, so a benchmark can say what dominates.
 *   node bench/lib/cpuprofile.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderTable } from './table.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time in the window, idle included. */
  sampledMs: number;
  /** Sampled time minus '(idle)': the denominator of every percentage. */
  totalMs: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

/** Where a script comes from: a node_modules package, node internals, or the repository path. */
export function origin(url: string, functionName = ''): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules?.[1] !== undefined) return inModules[1];
  const repo = /\/(packages\/[^/]+|services\/[^/]+)\//.exec(url);
  return repo?.[1] ?? url;
}

function shortUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) return url.slice(inModules + 'node_modules/'.length);
  const repo = /\/((?:packages|services)\/.*)$/.exec(url);
  return repo?.[1] ?? url.replace(/^file:\/\//, '');
}

function ranked(totals: Map<string, number>, totalMs: number, top: number): SelfTime[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms, percent: (100 * ms) / totalMs }));
}

/**
 * `window` (µs on the monotonic clock, like process.hrtime) keeps only the
 * samples taken inside it, e.g. a load run's measured window, leaving out
 * start-up and warm-up. Idle samples are counted apart, not in percentages.
 */
export function summariseProfile(file: string, top = 15, window?: { from: number; to: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (window !== undefined && (window.to < profile.startTime || window.from > profile.endTime)) {
    throw new Error(`profile ${file} covers ${profile.startTime}–${profile.endTime} µs, not the window ${window.from}–${window.to} µs`);
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let sampledUs = 0;
  let busyUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (window !== undefined && (at < window.from || at > window.to)) return;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return;
    sampledUs += us;
    if (frame.functionName === '(idle)') return;
    busyUs += us;
    const name =
      `${frame.functionName || '(anonymous)'} ${frame.url === '' ? '' : `${shortUrl(frame.url)}:${frame.lineNumber + 1}`}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us / 1000);
    const pkg = origin(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us / 1000);
  });
  const totalMs = busyUs / 1000;
  return { sampledMs: sampledUs / 1000, totalMs, functions: ranked(functions, totalMs, top), packages: ranked(packages, totalMs, top) };
}

export function renderProfile(summary: ProfileSummary): string {
  const rows = (items: SelfTime[]): string[][] => items.map((item) => [item.name, item.ms.toFixed(0), item.percent.toFixed(1)]);
  return [
    `profile: ${(summary.sampledMs / 1000).toFixed(1)} s sampled, ${(summary.totalMs / 1000).toFixed(1)} s busy (percentages are of busy time)`,
    renderTable(['self time by function', 'ms', '%'], rows(summary.functions)),
    '',
    renderTable(['self time by package', 'ms', '%'], rows(summary.packages)),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: cpuprofile.ts FILE.cpuprofile [TOP]');
  process.stdout.write(`${renderProfile(summariseProfile(file, Number(process.argv[3] ?? '15')))}\n`);
}
