/** What the whole-system soak records: memory of every process over time, and each stream's answers per minute. */
import { rssMiB } from '../lib/proc-stats.ts';
import type { Series } from './plot.ts';
import { metric } from './samples.ts';
import { SYSTEM_PROCESSES, type RunningSystem, type SystemProcess } from './system-servers.ts';

const MiB = 1024 * 1024;
const PROCESS_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

export interface ProcessMemory {
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
}

export interface SystemSample {
  /** Seconds since the load started. */
  t: number;
  memory: Record<SystemProcess, ProcessMemory>;
}

async function processMemory(pid: number, url: string): Promise<ProcessMemory> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    rssMiB: rssMiB(pid),
    heapUsedMiB: metric(text, 'nodejs_heap_size_used_bytes') / MiB,
    heapTotalMiB: metric(text, 'nodejs_heap_size_total_bytes') / MiB,
  };
}

/** RSS from /proc, V8's heap from each process's own /metrics. */
export async function takeSystemSample(t: number, system: RunningSystem): Promise<SystemSample> {
  const entries = await Promise.all(
    SYSTEM_PROCESSES.map(async (name) => [name, await processMemory(system[name].child.pid, system[name].url)] as const),
  );
  return { t, memory: Object.fromEntries(entries) as Record<SystemProcess, ProcessMemory> };
}

export function memoryCsv(samples: SystemSample[]): string {
  const header = ['t', ...SYSTEM_PROCESSES.flatMap((p) => [`${p}_rss_mib`, `${p}_heap_used_mib`, `${p}_heap_total_mib`])];
  const rows = samples.map((s) =>
    [
      s.t.toFixed(1),
      ...SYSTEM_PROCESSES.flatMap((p) => [s.memory[p].rssMiB, s.memory[p].heapUsedMiB, s.memory[p].heapTotalMiB].map((v) => v.toFixed(2))),
    ].join(','),
  );
  return `${header.join(',')}\n${rows.join('\n')}\n`;
}

/** RSS and heap used of every process, one line each. */
export function systemMemorySeries(samples: SystemSample[]): Series[] {
  const line = (label: string, colour: string, dashed: boolean, pick: (s: SystemSample) => number): Series => ({
    label,
    colour,
    dashed,
    points: samples.map((s) => [s.t, pick(s)]),
  });
  // One colour per process: RSS solid, heap used dashed.
  return SYSTEM_PROCESSES.flatMap((p, i) => [
    line(`${p} RSS`, PROCESS_COLOURS[i]!, false, (s) => s.memory[p].rssMiB),
    line(`${p} heap used`, PROCESS_COLOURS[i]!, true, (s) => s.memory[p].heapUsedMiB),
  ]);
}

/** One stream's answers in one minute of load. */
export interface MinuteOfStream {
  stream: string;
  minute: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

export function latencyCsv(minutes: MinuteOfStream[]): string {
  const rows = minutes.map((m) => [m.minute, m.stream, m.ok, m.non2xx, m.errors, m.p50Ms, m.p99Ms].join(','));
  return `minute,stream,ok,non2xx,errors,p50_ms,p99_ms\n${rows.join('\n')}\n`;
}

/** p99 per minute, one line per stream, each point at the middle of its minute. */
export function p99Series(minutes: MinuteOfStream[]): Series[] {
  const streams = [...new Set(minutes.map((m) => m.stream))];
  return streams.map((stream) => ({
    label: stream,
    points: minutes.filter((m) => m.stream === stream).map((m): [number, number] => [(m.minute + 0.5) * 60, m.p99Ms]),
  }));
}
