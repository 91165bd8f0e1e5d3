/** What the soak records every few seconds, and how it judges growth after warm-up. */
import { rssMiB } from '../lib/proc-stats.ts';
import type { Series } from './plot.ts';

export interface Sample {
  /** Seconds since the load started. */
  t: number;
  flotillaRssMiB: number;
  flotillaHeapUsedMiB: number;
  flotillaHeapTotalMiB: number;
  flotillaExternalMiB: number;
  ginRssMiB: number;
}

const MiB = 1024 * 1024;

export function metric(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  if (match?.[1] === undefined) throw new Error(`/metrics has no ${name}`);
  return Number(match[1]);
}

/** One sample: RSS from /proc for both sides, V8's heap from Flotilla's own /metrics. */
export async function takeSample(t: number, flotilla: { pid: number; url: string }, ginPid: number): Promise<Sample> {
  const text = await (await fetch(`${flotilla.url}/metrics`)).text();
  return {
    t,
    flotillaRssMiB: rssMiB(flotilla.pid),
    flotillaHeapUsedMiB: metric(text, 'nodejs_heap_size_used_bytes') / MiB,
    flotillaHeapTotalMiB: metric(text, 'nodejs_heap_size_total_bytes') / MiB,
    flotillaExternalMiB: metric(text, 'nodejs_external_memory_bytes') / MiB,
    ginRssMiB: rssMiB(ginPid),
  };
}

export const CSV_COLUMNS: (keyof Sample)[] = [
  't',
  'flotillaRssMiB',
  'flotillaHeapUsedMiB',
  'flotillaHeapTotalMiB',
  'flotillaExternalMiB',
  'ginRssMiB',
];

export function toCsv(samples: Sample[]): string {
  const rows = samples.map((s) => CSV_COLUMNS.map((c) => (c === 't' ? s[c].toFixed(1) : s[c].toFixed(2))).join(','));
  return `${CSV_COLUMNS.join(',')}\n${rows.join('\n')}\n`;
}

/** The four lines of the users-vs-Gin memory chart. */
export function memorySeries(samples: Sample[]): Series[] {
  const line = (label: string, colour: string, pick: (s: Sample) => number): Series => ({
    label,
    colour,
    points: samples.map((s) => [s.t, pick(s)]),
  });
  return [
    line('Flotilla RSS', '#1f77b4', (s) => s.flotillaRssMiB),
    line('Flotilla heap total', '#ff7f0e', (s) => s.flotillaHeapTotalMiB),
    line('Flotilla heap used', '#2ca02c', (s) => s.flotillaHeapUsedMiB),
    line('Gin + GORM RSS', '#7f7f7f', (s) => s.ginRssMiB),
  ];
}

/** Least-squares slope of `pick` over time, in MiB per minute. */
export function slopePerMinute<T extends { t: number }>(samples: T[], pick: (s: T) => number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanY = samples.reduce((sum, s) => sum + pick(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - meanT) * (pick(s) - meanY);
    den += (s.t - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

export interface Growth {
  /** Mean over the first minute after warm-up and over the last minute. */
  firstMinute: number;
  lastMinute: number;
  slopePerMinute: number;
}

export function growth<T extends { t: number }>(samples: T[], warmupSeconds: number, pick: (s: T) => number): Growth {
  const after = samples.filter((s) => s.t >= warmupSeconds);
  const end = after.at(-1)?.t ?? warmupSeconds;
  const mean = (list: T[]): number => list.reduce((sum, s) => sum + pick(s), 0) / Math.max(1, list.length);
  return {
    firstMinute: mean(after.filter((s) => s.t < warmupSeconds + 60)),
    lastMinute: mean(after.filter((s) => s.t > end - 60)),
    slopePerMinute: slopePerMinute(after, pick),
  };
}
