/**
 * Workers: the users service (`GET /users/:id`, SQLite) as one process
 * against two workers, with each way two processes could share the ports
 * (sides.ts). Figures per side: CPU µs per request of all its processes at a
 * fixed offered rate, and req/s closed loop over keep-alive connections and
 * with a new connection per request (where handing connections out costs most).
 *
 *   node bench/workers/run.ts [--rounds 3] [--duration 6] [--warmup 2] [--rate 1000]
 *                             [--connections 32] [--users 200] [--sides "1 process,cluster rr"]
 *
 * Servers run from source (--conditions=@flotilla/source): no build needed.
 * Every child is killed at the end, also on errors and Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import type { LoadSpec } from '../lib/load.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { type GroupLoad, runGroupLoad } from './group-load.ts';
import { REPO_ROOT, SIDES, type Side, type SideName, startSide } from './sides.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    rate: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '200' },
    sides: { type: 'string', default: SIDES.join(',') },
  },
});
const rounds = Number(values.rounds);
const sides = values.sides.split(',').map((s) => s.trim()) as SideName[];
for (const side of sides) if (!SIDES.includes(side)) throw new Error(`unknown side "${side}"; known: ${SIDES.join(', ')}`);

const SCENARIOS = ['fixed rate', 'closed, keep-alive', 'closed, new connections'] as const;
type Scenario = (typeof SCENARIOS)[number];

const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-workers-'));
const running: Side[] = [];
installCleanup(async () => {
  await Promise.all(running.flatMap((s) => s.children.map((c) => c.stop(2_000))));
});

function spec(side: Side, scenario: Scenario): LoadSpec {
  return {
    url: side.url,
    kind: { type: 'get', pathPrefix: '/users/', ids: side.ids },
    connections: Number(values.connections),
    pipelining: 1,
    warmupSeconds: Number(values.warmup),
    durationSeconds: Number(values.duration),
    ...(scenario === 'fixed rate' ? { rate: Number(values.rate) } : {}),
    ...(scenario === 'closed, new connections' ? { headers: { connection: 'close' } } : {}),
  };
}

const results = new Map<string, GroupLoad[]>();
const key = (side: SideName, scenario: Scenario) => `${side}|${scenario}`;

async function main(): Promise<void> {
  process.stderr.write(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  for (const name of sides) {
    process.stderr.write(`starting ${name}…\n`);
    running.push(await startSide(name, workDir, Number(values.users)));
  }
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of SCENARIOS) {
      // Alternate the order each round, so no side always runs after the same one.
      const order = round % 2 === 1 ? running : [...running].reverse();
      for (const side of order) {
        const result = await runGroupLoad(spec(side, scenario), {
          name: `${side.name} ${scenario}`,
          roots: side.roots,
          workDir,
          repoRoot: REPO_ROOT,
        });
        const list = results.get(key(side.name, scenario)) ?? [];
        list.push(result);
        results.set(key(side.name, scenario), list);
        process.stderr.write(
          `round ${round} ${scenario} ${side.name}: ${fixed(result.requestsPerSecond)} req/s, ${fixed(result.cpuMicrosPerRequest)} µs/req, ` +
            `p99 ${result.latencyP99Ms} ms, errors ${result.errors + result.non2xx}\n`,
        );
      }
    }
  }
  process.stderr.write(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  report();
}

function report(): void {
  const base = (scenario: Scenario, pick: (r: GroupLoad) => number) => median((results.get(key('1 process', scenario)) ?? []).map(pick));
  const rows = sides.map((side) => {
    const cell = (scenario: Scenario, pick: (r: GroupLoad) => number, digits = 0): string => {
      const list = results.get(key(side, scenario)) ?? [];
      const value = median(list.map(pick));
      const reference = base(scenario, pick);
      const ratio = side === '1 process' || !Number.isFinite(reference) ? '' : ` (${fixed(value / reference, 2)}×)`;
      return `${fixed(value, digits)}${ratio}`;
    };
    const failures = SCENARIOS.flatMap((s) => results.get(key(side, s)) ?? []).reduce((n, r) => n + r.errors + r.non2xx, 0);
    return [
      side,
      cell('fixed rate', (r) => r.cpuMicrosPerRequest),
      cell('fixed rate', (r) => r.latencyP99Ms),
      cell('closed, keep-alive', (r) => r.requestsPerSecond),
      cell('closed, keep-alive', (r) => r.cpuMicrosPerRequest),
      cell('closed, new connections', (r) => r.requestsPerSecond),
      cell('closed, new connections', (r) => r.cpuMicrosPerRequest),
      String(failures),
    ];
  });
  process.stdout.write(
    `${renderTable(
      [
        'side',
        `CPU µs/req at ${values.rate} req/s`,
        'p99 ms',
        'closed keep-alive req/s',
        'CPU µs/req',
        'closed new-conn req/s',
        'CPU µs/req',
        'errors',
      ],
      rows,
    )}\n(medians of ${rounds} round(s); ratios to 1 process)\n`,
  );
}

try {
  await main();
} finally {
  await Promise.all(running.flatMap((s) => s.children.map((c) => c.stop(5_000))));
  killAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
