/**
 * Two sets of V8 heap flags side by side: two users processes on SQLite, one
 * with each set, under the same fixed-rate mixed load at the same time
 * (GETs of seeded users and POSTs of new ones), for --rounds rounds. Prints
 * per round each side's CPU per answer (from /proc) and RSS, and the ratio
 * B / A, so a flag's memory saving is weighed against what it costs.
 *
 *   node bench/soak/heap-flags.ts [--a "<the images' NODE_OPTIONS>"] [--b "<those and the executables' V8 flags>"]
 *     [--rounds 5] [--duration 30] [--get-rate 400] [--post-rate 40] [--no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type LoadSpec } from '../lib/load.ts';
import { NODE_HEAP_OPTIONS } from '../../scripts/images/images.ts';
import { PRODUCTION_NODE_FLAGS } from '../lib/production-flags.ts';
import { rssMiB } from '../lib/proc-stats.ts';
import { median } from '../lib/table.ts';
import { REPO_ROOT, seedUsers } from '../users/servers.ts';
import { startFlotilla, type Started } from '../users/vs-gin-sides.ts';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string', default: NODE_HEAP_OPTIONS },
    b: { type: 'string', default: PRODUCTION_NODE_FLAGS },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '30' },
    'get-rate': { type: 'string', default: '400' },
    'post-rate': { type: 'string', default: '40' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const getRate = Number(args['get-rate']);
const postRate = Number(args['post-rate']);
for (const [name, value] of Object.entries({ rounds, duration, getRate, postRate }))
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a number > 0`);
if (duration > 600) throw new Error('--duration is at most 600 seconds');

const pin = !args['no-pin'] && canPin();
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-heap-flags-'));
installCleanup(async () => {
  killAllChildren();
  rmSync(workDir, { recursive: true, force: true });
});

interface Side {
  label: 'A' | 'B';
  flags: string;
  server: Started;
  ids: string[];
}

async function startSide(label: 'A' | 'B', flags: string): Promise<Side> {
  const server = await startFlotilla({
    name: `users-${label}`,
    dsn: `sqlite:${join(workDir, `users-${label}.sqlite`)}`,
    cpus: pin ? '0' : undefined,
    workDir,
    accessLog: true,
    nodeArgs: flags.split(' ').filter(Boolean),
  });
  return { label, flags, server, ids: await seedUsers(server.url, 300) };
}

/** One round for one side: its GETs and POSTs at once; CPU per answer over both. */
async function loadSide(side: Side, round: number): Promise<number> {
  const spec = (kind: LoadSpec['kind'], rate: number): LoadSpec => ({
    url: side.server.url,
    kind,
    connections: 8,
    pipelining: 1,
    warmupSeconds: 2,
    durationSeconds: duration,
    rate,
  });
  const opts = (what: string) => ({
    name: `${side.label}-${what}-${round}`,
    serverPid: side.server.child.pid,
    cpus: pin ? '1' : undefined,
    workDir,
    repoRoot: REPO_ROOT,
  });
  const [get, post] = await Promise.all([
    runLoad(spec({ type: 'get', pathPrefix: '/users/', ids: side.ids }, getRate), opts('get')),
    runLoad(spec({ type: 'post', path: '/users', emailPrefix: `flags-${side.label}-${round}` }, postRate), opts('post')),
  ]);
  const failed = get.non2xx + get.errors + post.non2xx + post.errors;
  if (failed > 0) console.log(`  side ${side.label}, round ${round}: ${failed} failed requests`);
  // Both loads sampled the same process over the same window: its CPU over all its answers.
  return (get.serverCpuMicrosPerRequest * get.ok) / Math.max(1, get.ok + post.ok);
}

async function main(): Promise<void> {
  const sides = [await startSide('A', args.a), await startSide('B', args.b)] as const;
  for (const side of sides) console.log(`${side.label}: ${side.flags || '(Node defaults)'}`);
  console.log('round | CPU µs/answer A | B | B / A | RSS MiB A | B | load');
  const ratios: number[] = [];
  const cpu: Record<'A' | 'B', number[]> = { A: [], B: [] };
  for (let round = 1; round <= rounds; round++) {
    const [a, b] = await Promise.all(sides.map((side) => loadSide(side, round)));
    ratios.push(b! / a!);
    cpu.A.push(a!);
    cpu.B.push(b!);
    const rss = sides.map((side) => rssMiB(side.server.child.pid).toFixed(1));
    console.log(
      `${round} | ${a!.toFixed(0)} | ${b!.toFixed(0)} | ${(b! / a!).toFixed(2)} | ${rss[0]} | ${rss[1]} | ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  console.log(
    `median: A ${median(cpu.A).toFixed(0)} µs, B ${median(cpu.B).toFixed(0)} µs per answer; B / A ${median(ratios).toFixed(2)} (per round ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
  );
}

try {
  await main();
} finally {
  killAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
