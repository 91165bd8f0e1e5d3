/**
 * Renders the users benchmark's figures and checks them against the targets.
 * Every target is loaded once per round, rounds interleave all targets, and
 * each figure is the median over rounds; ratios to the bare route are taken
 * per round (neighbours in time share the machine's mood) and then medianed.
 */
import { fixed, median, renderTable } from '../lib/table.ts';
import type { MeasuredLoad } from '../lib/load.ts';

export interface LoadRow {
  target: string;
  /** One entry per round; undefined where that round's load failed. */
  runs: (MeasuredLoad | undefined)[];
  errors: string[];
}

export interface ColdStarts {
  peerMs: number[];
  usersMs: number[];
}

export interface MemoryRow {
  process: string;
  idleAfterStartMiB: number;
  afterLoadMiB?: number;
}

export interface Targets {
  /** value: req/s ratio; cpuValue: the same ratio from server CPU time per request. */
  getSqliteRatio: { value: number; cpuValue: number; min: number };
  coldStartMs: { value: number; max: number };
  idleRssMiB: { value: number; max: number };
}

export const BARE = 'bare Fastify GET /users/:id';

const ok = (runs: (MeasuredLoad | undefined)[]): MeasuredLoad[] => runs.filter((run): run is MeasuredLoad => run !== undefined);
const medianOf = (row: LoadRow, pick: (run: MeasuredLoad) => number): number => median(ok(row.runs).map(pick));

/** Median over rounds of (row / bare) for the same round. */
export function ratioToBare(rows: LoadRow[], row: LoadRow, kind: 'rps' | 'cpu'): number {
  const bare = rows.find((r) => r.target === BARE);
  if (bare === undefined) return Number.NaN;
  const ratios = row.runs.flatMap((run, round) => {
    const base = bare.runs[round];
    if (run === undefined || base === undefined) return [];
    return [
      kind === 'rps' ? run.requestsPerSecond / base.requestsPerSecond : base.serverCpuMicrosPerRequest / run.serverCpuMicrosPerRequest,
    ];
  });
  return median(ratios);
}

export function renderLoadTable(rows: LoadRow[]): string {
  const body = rows.map((row) => {
    const runs = ok(row.runs);
    if (runs.length === 0) return [row.target, 'failed', '', '', '', '', '', '', '', '', row.errors[0] ?? ''];
    const problems = runs.reduce((sum, run) => sum + run.non2xx + run.errors + run.timeouts, 0);
    const codes = runs.map((run) => JSON.stringify(run.statusCodes)).join(' ');
    return [
      row.target,
      fixed(medianOf(row, (r) => r.requestsPerSecond)),
      runs.map((r) => fixed(r.requestsPerSecond)).join('/'),
      fixed(medianOf(row, (r) => r.latencyP50Ms)),
      fixed(medianOf(row, (r) => r.latencyP99Ms)),
      fixed(ratioToBare(rows, row, 'rps'), 2),
      fixed(medianOf(row, (r) => r.serverCpuMicrosPerRequest)),
      fixed(ratioToBare(rows, row, 'cpu'), 2),
      fixed(medianOf(row, (r) => r.serverCpuPercent)),
      fixed(medianOf(row, (r) => r.loadCpuPercent)),
      problems === 0 && row.errors.length === 0 ? '0' : `${problems} ${codes} ${row.errors.join('; ')}`.trim(),
    ];
  });
  return renderTable(
    [
      'target',
      'req/s',
      'rounds',
      'p50 ms',
      'p99 ms',
      '× bare',
      'CPU µs/req',
      '× bare (CPU)',
      'server CPU %',
      'loadgen CPU %',
      'non-2xx/errors',
    ],
    body,
  );
}

export function renderColdStarts(cold: ColdStarts): string {
  const peer = median(cold.peerMs);
  const users = median(cold.usersMs);
  const list = (values: number[]): string => values.map((v) => v.toFixed(0)).join(', ');
  return renderTable(
    ['cold start (spawn → /readyz 200)', 'median ms', 'runs (ms)'],
    [
      ['bare Fastify peer', fixed(peer), list(cold.peerMs)],
      ['users (fresh SQLite file)', fixed(users), list(cold.usersMs)],
      ['ratio users / peer', fixed(users / peer, 2), ''],
    ],
  );
}

export function renderMemory(rows: MemoryRow[]): string {
  return renderTable(
    ['process (VmRSS)', 'idle after start MiB', 'idle after load MiB'],
    rows.map((row) => [row.process, fixed(row.idleAfterStartMiB, 1), row.afterLoadMiB === undefined ? '—' : fixed(row.afterLoadMiB, 1)]),
  );
}

export function renderTargets(targets: Targets): string {
  const verdict = (met: boolean): string => (met ? 'met' : 'NOT MET');
  const { getSqliteRatio: ratio, coldStartMs: cold, idleRssMiB: rss } = targets;
  return renderTable(
    ['target', 'goal', 'measured', 'verdict'],
    [
      ['GET /users/:id on SQLite vs bare route, req/s', `≥ ${ratio.min}×`, `${fixed(ratio.value, 2)}×`, verdict(ratio.value >= ratio.min)],
      ['same, from server CPU µs per request', `≥ ${ratio.min}×`, `${fixed(ratio.cpuValue, 2)}×`, verdict(ratio.cpuValue >= ratio.min)],
      ['users cold start, median', `≤ ${cold.max} ms`, `${fixed(cold.value)} ms`, verdict(cold.value <= cold.max)],
      ['users idle RSS after start', `≤ ${rss.max} MiB`, `${fixed(rss.value, 1)} MiB`, verdict(rss.value <= rss.max)],
    ],
  );
}
