/**
 * The tables of vs-gin.ts: per store and operation both sides' figures and
 * Flotilla / Gin for each; memory and spawn → ready; the targets with their
 * verdicts. CPU ratios are taken per round (both sides loaded at the same
 * moment) and then medianed over the rounds where both were served the
 * offered rate.
 */
import type { MeasuredLoad } from '../lib/load.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { SIDE_LABELS, type SideKey } from './vs-gin-sides.ts';

export type OpKey = 'get' | 'post';
export const OP_TITLES: Record<OpKey, string> = { get: 'GET /users/:id', post: 'POST /users' };
export type Store = 'SQLite' | 'PostgreSQL';

export interface SideFigures {
  rssIdleMiB: number;
  rssAfterMiB: number;
  /** Fixed-rate runs, one per round, loaded at the same time as the other side's. */
  fixedRate: Record<OpKey, MeasuredLoad[]>;
  /** Closed-loop runs, each side alone. */
  closedLoop: Record<OpKey, MeasuredLoad[]>;
  /** Size of its log file after the run, and how many access lines it holds. */
  log: { bytes: number; accessLines: number };
}

export interface StoreFigures {
  store: Store;
  sides: Record<SideKey, SideFigures>;
}

export interface ReadyFigures {
  flotilla: number[];
  gin: number[];
}

export const TARGETS = { getCpu: 1.3, postCpu: 1.0, idleRssMB: 60, afterLoadRssMB: 100, readyMs: 150 };

const MB_PER_MIB = 1.048576;
const cpuOf = (run: MeasuredLoad): number => run.serverCpuMicrosPerRequest;
const problemsOf = (runs: MeasuredLoad[]): number => runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
const bracket = (value: string, counted: boolean): string => (counted ? value : `(${value})`);

export interface Ratios {
  perRound: number[];
  counted: boolean[];
  median: number;
  /** False when no round counted and the median is over all rounds. */
  fromCounted: boolean;
}

/** Flotilla / Gin CPU µs per request, per round; a round counts when both sides were served ≥ 95 % of `rate`. */
export function cpuRatios(figures: StoreFigures, op: OpKey, rate: number): Ratios {
  const flotilla = figures.sides.flotilla.fixedRate[op];
  const gin = figures.sides.gin.fixedRate[op];
  const perRound = flotilla.map((run, i) => cpuOf(run) / cpuOf(gin[i] as MeasuredLoad));
  const served = (run: MeasuredLoad | undefined): boolean => run !== undefined && run.requestsPerSecond >= 0.95 * rate;
  const counted = flotilla.map((run, i) => served(run) && served(gin[i]));
  const kept = perRound.filter((_, i) => counted[i]);
  return { perRound, counted, median: median(kept.length > 0 ? kept : perRound), fromCounted: kept.length > 0 };
}

function sideRow(label: string, fixedRuns: MeasuredLoad[], closed: MeasuredLoad[], counted: boolean[]): string[] {
  const countedRuns = fixedRuns.filter((_, i) => counted[i]);
  return [
    label,
    fixed(median(fixedRuns.map((r) => r.requestsPerSecond))),
    fixed(median(fixedRuns.map((r) => r.latencyP50Ms)), 1),
    fixed(median(fixedRuns.map((r) => r.latencyP99Ms)), 1),
    fixed(median((countedRuns.length > 0 ? countedRuns : fixedRuns).map(cpuOf)), 1),
    fixedRuns.map((r, i) => bracket(fixed(cpuOf(r)), counted[i] === true)).join(' / '),
    fixed(median(closed.map((r) => r.requestsPerSecond))),
    fixed(median(closed.map((r) => r.latencyP50Ms)), 1),
    fixed(median(closed.map((r) => r.latencyP99Ms)), 1),
    fixed(median(closed.map(cpuOf)), 1),
    String(problemsOf([...fixedRuns, ...closed])),
  ];
}

export function renderOperation(figures: StoreFigures, op: OpKey, rate: number): string {
  const ratios = cpuRatios(figures, op, rate);
  const f = figures.sides.flotilla;
  const g = figures.sides.gin;
  const of = (pick: (side: SideFigures) => number, digits = 2): string => fixed(pick(f) / pick(g), digits);
  const fixedMedian = (pick: (run: MeasuredLoad) => number) => (side: SideFigures) => median(side.fixedRate[op].map(pick));
  const closedMedian = (pick: (run: MeasuredLoad) => number) => (side: SideFigures) => median(side.closedLoop[op].map(pick));
  const table = renderTable(
    [
      `${OP_TITLES[op]}, ${figures.store}`,
      'req/s',
      'p50 ms',
      'p99 ms',
      'CPU µs/req',
      'per round',
      'closed req/s',
      'closed p50',
      'closed p99',
      'closed CPU µs/req',
      'non-2xx+errors',
    ],
    [
      sideRow(SIDE_LABELS.flotilla, f.fixedRate[op], f.closedLoop[op], ratios.counted),
      sideRow(SIDE_LABELS.gin, g.fixedRate[op], g.closedLoop[op], ratios.counted),
      [
        'Flotilla / Gin',
        of(fixedMedian((r) => r.requestsPerSecond)),
        of(fixedMedian((r) => r.latencyP50Ms)),
        of(fixedMedian((r) => r.latencyP99Ms)),
        `${fixed(ratios.median, 2)}${ratios.fromCounted ? '' : ' (no round counted)'}`,
        ratios.perRound.map((r, i) => bracket(fixed(r, 2), ratios.counted[i] === true)).join(' / '),
        of(closedMedian((r) => r.requestsPerSecond)),
        of(closedMedian((r) => r.latencyP50Ms)),
        of(closedMedian((r) => r.latencyP99Ms)),
        of(closedMedian(cpuOf)),
        '',
      ],
    ],
  );
  const left = ratios.counted.filter((c) => !c).length;
  return left === 0
    ? table
    : `${table}\n(${left} round(s) in brackets left out: a side was served under 95 % of the ${rate} req/s offered)`;
}

export function renderMemory(all: StoreFigures[], ready: ReadyFigures | undefined): string {
  const rows: string[][] = [];
  for (const figures of all) {
    const f = figures.sides.flotilla;
    const g = figures.sides.gin;
    rows.push(
      [`${SIDE_LABELS.flotilla}, ${figures.store}`, fixed(f.rssIdleMiB, 1), fixed(f.rssAfterMiB, 1), logSummary(f)],
      [`${SIDE_LABELS.gin}, ${figures.store}`, fixed(g.rssIdleMiB, 1), fixed(g.rssAfterMiB, 1), logSummary(g)],
      ['Flotilla / Gin', fixed(f.rssIdleMiB / g.rssIdleMiB, 2), fixed(f.rssAfterMiB / g.rssAfterMiB, 2), ''],
    );
  }
  const memory = renderTable(['process (VmRSS)', 'idle MiB', 'after load MiB', 'log file'], rows);
  if (ready === undefined) return memory;
  const list = (values: number[]): string => values.map((v) => fixed(v)).join(', ');
  const readyTable = renderTable(
    ['spawn → /readyz 200 (fresh SQLite file)', 'median ms', 'starts (ms)'],
    [
      [SIDE_LABELS.flotilla, fixed(median(ready.flotilla)), list(ready.flotilla)],
      [SIDE_LABELS.gin, fixed(median(ready.gin)), list(ready.gin)],
      ['Flotilla / Gin', fixed(median(ready.flotilla) / median(ready.gin), 2), ''],
    ],
  );
  return `${memory}\n\n${readyTable}`;
}

function logSummary(side: SideFigures): string {
  return `${fixed(side.log.bytes / 1e6, 1)} MB, ${side.log.accessLines} access lines`;
}

export interface TargetRow {
  target: string;
  goal: string;
  flotilla: string;
  gin: string;
  ratio: string;
  met: boolean;
}

export function targetRows(all: StoreFigures[], ready: ReadyFigures | undefined, rate: number): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const figures of all) {
    for (const [op, goal] of [
      ['get', TARGETS.getCpu],
      ['post', TARGETS.postCpu],
    ] as const) {
      const ratios = cpuRatios(figures, op, rate);
      const counted = (side: SideKey): number => {
        const runs = figures.sides[side].fixedRate[op];
        const kept = runs.filter((_, i) => ratios.counted[i]);
        return median((kept.length > 0 ? kept : runs).map(cpuOf));
      };
      rows.push({
        target: `${OP_TITLES[op]} CPU µs/request, ${figures.store}, ${rate} req/s`,
        goal: `≤ ${fixed(goal, 1)}× Gin`,
        flotilla: fixed(counted('flotilla'), 1),
        gin: fixed(counted('gin'), 1),
        ratio: `${fixed(ratios.median, 2)}×`,
        met: ratios.median <= goal,
      });
    }
  }
  const sqlite = all.find((figures) => figures.store === 'SQLite');
  if (sqlite !== undefined) {
    const f = sqlite.sides.flotilla;
    const g = sqlite.sides.gin;
    rows.push(
      {
        target: 'idle RSS after start, SQLite',
        goal: `≤ ${TARGETS.idleRssMB} MB`,
        flotilla: `${fixed(f.rssIdleMiB * MB_PER_MIB, 1)} MB`,
        gin: `${fixed(g.rssIdleMiB * MB_PER_MIB, 1)} MB`,
        ratio: `${fixed(f.rssIdleMiB / g.rssIdleMiB, 2)}×`,
        met: f.rssIdleMiB * MB_PER_MIB <= TARGETS.idleRssMB,
      },
      {
        target: 'RSS after load, SQLite',
        goal: `≤ ${TARGETS.afterLoadRssMB} MB`,
        flotilla: `${fixed(f.rssAfterMiB * MB_PER_MIB, 1)} MB`,
        gin: `${fixed(g.rssAfterMiB * MB_PER_MIB, 1)} MB`,
        ratio: `${fixed(f.rssAfterMiB / g.rssAfterMiB, 2)}×`,
        met: f.rssAfterMiB * MB_PER_MIB <= TARGETS.afterLoadRssMB,
      },
    );
  }
  if (ready !== undefined) {
    const f = median(ready.flotilla);
    const g = median(ready.gin);
    rows.push({
      target: 'spawn → ready, median',
      goal: `≤ ${TARGETS.readyMs} ms`,
      flotilla: `${fixed(f)} ms`,
      gin: `${fixed(g)} ms`,
      ratio: `${fixed(f / g, 1)}×`,
      met: f <= TARGETS.readyMs,
    });
  }
  return rows;
}

export function renderTargets(rows: TargetRow[]): string {
  return renderTable(
    ['target', 'goal', 'Flotilla', 'Gin', 'Flotilla / Gin', 'verdict'],
    rows.map((row) => [row.target, row.goal, row.flotilla, row.gin, row.ratio, row.met ? 'met' : 'MISSED']),
  );
}
