/**
 * CPU per ECS access line: the kit's (what one request pays: its request
 * logger and the line) against bare pino writing the same fields with the
 * same bindings, both to /dev/null through the same destination. Two more
 * sides say where the kit's cost would be without its access-line writer:
 * an ordinary line with those fields through the kit's logger
 * (`kit-fields`), and pino with its own redaction of the kit's paths and the
 * ECS format (`pino-redact`, the kit's logger before it redacted by itself).
 *
 * Every measurement is a fresh process (line-worker.ts); each round runs
 * every side once, in a rotating order; a figure is the median over rounds.
 * Workers on CPU 0 unless `--no-pin`.
 *
 *   node bench/logging/access-line.ts [--rounds 5] [--lines 20000] [--warmup 5000] [--per-turn 1] [--dest batched|async|sync] [--no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, killAllChildren, spawnChild } from '../lib/children.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { SIDES, type Side, type WorkerResult } from './sides.ts';

/** The performance brief's bar for one access line, CPU µs. */
const TARGET_MICROS = 8;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    lines: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '5000' },
    'per-turn': { type: 'string', default: '1' },
    dest: { type: 'string', default: 'batched' },
    'no-pin': { type: 'boolean', default: false },
  },
});
if (!['batched', 'async', 'sync'].includes(args.dest)) throw new Error('--dest is batched, async or sync');
const pin = !args['no-pin'] && canPin();
const rounds = Number(args.rounds);
const WORKER = fileURLToPath(new URL('./line-worker.ts', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-logging-'));
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const load = (): string =>
  loadavg()
    .map((l) => fixed(l, 2))
    .join(' ');
installCleanup(async () => undefined);

async function measure(side: Side): Promise<WorkerResult> {
  const child = spawnChild({
    name: `line worker ${side}`,
    command: process.execPath,
    args: [
      '--conditions=@flotilla/source',
      WORKER,
      side,
      '--lines',
      args.lines,
      '--warmup',
      args.warmup,
      '--per-turn',
      args['per-turn'],
      '--dest',
      args.dest,
    ],
    cwd: workDir,
    env: process.env,
    cpus: pin ? '0' : undefined,
    pipeStdout: true,
  });
  let output = '';
  child.process.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`${side}: worker exited with ${code}`);
  return JSON.parse(output.trim()) as WorkerResult;
}

try {
  const loadBefore = load();
  log(
    `load average ${loadBefore}; ${rounds} rounds of ${args.lines} lines per side, ${args['per-turn']} per event-loop turn, destination ${args.dest}`,
  );
  const results = new Map<Side, WorkerResult[]>(SIDES.map((side) => [side, []]));
  for (let round = 0; round < rounds; round++) {
    const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length] as Side);
    for (const side of order) {
      const result = await measure(side);
      results.get(side)?.push(result);
      log(`  round ${round + 1}: ${side} ${fixed(result.microsPerLine, 2)} µs/line`);
    }
  }
  const medianOf = (side: Side): number => median((results.get(side) ?? []).map((r) => r.microsPerLine));
  const bare = medianOf('pino');
  const rows = SIDES.map((side) => {
    const runs = results.get(side) ?? [];
    return [
      side,
      fixed(medianOf(side), 2),
      runs.map((r) => fixed(r.microsPerLine, 1)).join(' / '),
      fixed(medianOf(side) / bare, 2),
      fixed(median(runs.map((r) => r.bytesPerLine))),
    ];
  });
  const kit = medianOf('kit');
  process.stdout.write(
    [
      `ECS access line to /dev/null (destination ${args.dest}, ${args['per-turn']} line(s) per event-loop turn), node ${process.version}; load average ${loadBefore} at start, ${load()} at end`,
      '',
      renderTable(['side', 'CPU µs/line (median)', 'per round', '× bare pino', 'bytes/line'], rows),
      '',
      `kit access line: ${fixed(kit, 2)} µs, ${fixed(kit / bare, 2)}× bare pino; target ≤ ${TARGET_MICROS} µs: ${kit <= TARGET_MICROS ? 'met' : 'NOT met'}`,
      '',
    ].join('\n'),
  );
} finally {
  killAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
