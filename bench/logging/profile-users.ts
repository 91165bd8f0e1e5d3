/**
 * Where the users service's CPU goes per request with the production
 * logging default on (level info: one access line per request, to a file):
 * `GET /users/:id` and `POST /users` under `--cpu-prof`, each cut to its
 * measured window and summarised per function and per package.
 *
 * With `--compare OTHER`, a second build (another checkout's
 * services/users/src/main.ts, or a bundle) runs beside the first; both are
 * loaded at the same fixed rate at the same time and the profiles are
 * printed as a difference, µs per request, largest growth first. The same
 * file with `--compare-log-level warn` measures what the access log costs.
 * With `--gin`, the Gin + GORM peer of ../gin-peer (its JSON access log on)
 * is loaded beside them too, and every side's CPU per request is also given
 * as a ratio to it.
 *
 *   node bench/logging/profile-users.ts [--main FILE] [--compare FILE] [--gin] [--ops get,post] [--rate 400]
 *     [--rounds 2] [--duration 10] [--warmup 3] [--connections 32] [--users 300] [--top 25]
 *     [--log-level info|warn] [--compare-log-level info|warn] [--no-pin] [--keep]
 *
 * `--main` defaults to this checkout's services/users/src/main.ts, run from
 * the sources (types stripped by Node, `@flotilla/source`), so profiles name
 * packages; a bundle's frames all share one file. Every server runs on CPU 0
 * and every load generator on CPU 1 (`--no-pin` to turn off); the rate is per
 * side, so keep it low enough for CPU 0 to serve all of them (a side served
 * under 95 % of the rate is flagged).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren, type Child } from '../lib/children.ts';
import { renderProfile, summariseProfile } from '../lib/cpuprofile.ts';
import { runLoad, type LoadKind, type MeasuredLoad } from '../lib/load.ts';
import { profileFile, renderProfileDiff } from '../lib/profile-diff.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { REPO_ROOT, seedUsers, startUsers } from '../users/servers.ts';
import { buildGinPeer, startGin } from '../users/vs-gin-sides.ts';

const { values: args } = parseArgs({
  options: {
    main: { type: 'string', default: 'services/users/src/main.ts' },
    compare: { type: 'string' },
    gin: { type: 'boolean', default: false },
    ops: { type: 'string', default: 'get,post' },
    rate: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '300' },
    top: { type: 'string', default: '25' },
    'log-level': { type: 'string', default: 'info' },
    'compare-log-level': { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
type Op = 'get' | 'post';
const ops = args.ops.split(',') as Op[];
if (ops.some((op) => op !== 'get' && op !== 'post')) throw new Error('--ops: get, post or both');
const levelOf = (value: string): 'info' | 'warn' => {
  if (value !== 'info' && value !== 'warn') throw new Error('--log-level and --compare-log-level are info or warn');
  return value;
};
const rate = Number(args.rate);
const rounds = Number(args.rounds);
if (!(rate > 0 && Number.isInteger(rounds) && rounds > 0)) throw new Error('--rate and --rounds must be > 0');
const pin = !args['no-pin'];
const entry = (file: string): string => (isAbsolute(file) ? file : resolve(REPO_ROOT, file));
const OP_TITLES: Record<Op, string> = { get: 'GET /users/:id', post: 'POST /users' };
const log = (message: string): void => void process.stderr.write(`profile-users: ${message}\n`);
const load = (): string =>
  loadavg()
    .map((l) => fixed(l, 2))
    .join(' ');

interface Plan {
  label: string;
  /** A Node entry point, or undefined for the Gin peer. */
  main: string | undefined;
  level: 'info' | 'warn';
}

const plans: Plan[] = [
  { label: args.compare === undefined ? 'users' : 'main', main: entry(args.main), level: levelOf(args['log-level']) },
  ...(args.compare === undefined
    ? []
    : [{ label: 'compare', main: entry(args.compare), level: levelOf(args['compare-log-level'] ?? args['log-level']) }]),
  ...(args.gin ? [{ label: 'gin', main: undefined, level: 'info' as const }] : []),
];

interface Side extends Plan {
  child: Child;
  url: string;
  profileDir: string | undefined;
  ids: string[];
  runs: Record<Op, MeasuredLoad[]>;
}

const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-profile-users-'));
installCleanup(async () => undefined);

function kindFor(op: Op, side: Side, round: number): LoadKind {
  return op === 'get'
    ? { type: 'get', pathPrefix: '/users/', ids: side.ids }
    : { type: 'post', path: '/users', emailPrefix: `profile-${side.label}-${round}` };
}

const describe = (run: MeasuredLoad): string =>
  `${fixed(run.requestsPerSecond)} req/s, p50 ${run.latencyP50Ms} ms, p99 ${run.latencyP99Ms} ms, ${fixed(run.serverCpuMicrosPerRequest, 1)} µs CPU/req, non-2xx+errors ${run.non2xx + run.errors + run.timeouts}`;
const starved = (run: MeasuredLoad): boolean => run.requestsPerSecond < 0.95 * rate;

async function start(plan: Plan): Promise<Side> {
  const dsn = `sqlite:${join(workDir, `${plan.label}.sqlite`)}`;
  const cpus = pin ? '0' : undefined;
  let child: Child;
  let url: string;
  let profileDir: string | undefined;
  if (plan.main === undefined) {
    const gin = await startGin(await buildGinPeer(log), { name: plan.label, dsn, cpus, workDir, accessLog: true });
    ({ child, url } = gin);
  } else {
    profileDir = join(workDir, `${plan.label}-profile`);
    mkdirSync(profileDir);
    const server = await startUsers({
      name: plan.label,
      dsn,
      logLevel: plan.level,
      outputFile: join(workDir, `${plan.label}.log`),
      workDir,
      cpus,
      nodeArgs: ['--conditions=@flotilla/source', '--cpu-prof', `--cpu-prof-dir=${profileDir}`],
      main: plan.main,
    });
    ({ child, url } = server);
  }
  return { ...plan, child, url, profileDir, ids: await seedUsers(url, Number(args.users)), runs: { get: [], post: [] } };
}

function ratioTable(sides: Side[]): string {
  const gin = sides.find((side) => side.main === undefined);
  const rows = ops.flatMap((op) =>
    sides.map((side) => {
      const cpu = side.runs[op].map((run) => run.serverCpuMicrosPerRequest);
      const perRound = side.runs[op].map((run, i) => {
        const peer = gin?.runs[op][i];
        const mark = starved(run) || (peer !== undefined && starved(peer)) ? '*' : '';
        return `${fixed(run.serverCpuMicrosPerRequest, 1)}${peer === undefined ? '' : ` (${fixed(run.serverCpuMicrosPerRequest / peer.serverCpuMicrosPerRequest, 2)}×)`}${mark}`;
      });
      const ratio =
        gin === undefined
          ? ''
          : fixed(
              median(
                side.runs[op].map((run, i) => run.serverCpuMicrosPerRequest / (gin.runs[op][i] as MeasuredLoad).serverCpuMicrosPerRequest),
              ),
              2,
            );
      return [
        OP_TITLES[op],
        side.main === undefined ? 'Gin + GORM' : `${side.label} (${side.level})`,
        fixed(median(cpu), 1),
        ratio,
        perRound.join(' / '),
      ];
    }),
  );
  return renderTable(['operation', 'side', 'CPU µs/req (median)', '× Gin', 'per round (× Gin); * under 95 % of the rate'], rows);
}

try {
  const loadBefore = load();
  log(`load average ${loadBefore}; work dir ${workDir}`);
  const sides: Side[] = [];
  for (const plan of plans) sides.push(await start(plan));
  for (let round = 1; round <= rounds; round++) {
    for (const op of ops) {
      log(`round ${round}/${rounds}, ${op}: ${sides.map((s) => s.label).join(', ')} at ${rate} req/s each, at the same time`);
      const runs = await Promise.all(
        sides.map((side) =>
          runLoad(
            {
              url: side.url,
              kind: kindFor(op, side, round),
              connections: Number(args.connections),
              pipelining: 1,
              warmupSeconds: Number(args.warmup),
              durationSeconds: Number(args.duration),
              rate,
            },
            { name: `${side.label}-${op}-${round}`, serverPid: side.child.pid, cpus: pin ? '1' : undefined, workDir, repoRoot: REPO_ROOT },
          ),
        ),
      );
      runs.forEach((run, i) => {
        const side = sides[i] as Side;
        side.runs[op].push(run);
        log(`  ${side.label}: ${describe(run)}`);
      });
    }
  }
  // A profile is written when its process exits.
  for (const side of sides) await side.child.stop();
  const profiled = sides.filter((side) => side.profileDir !== undefined);
  const out = [
    `users service, SQLite, ${rate} req/s offered to each side at once, ${rounds} round(s) of ${args.duration} s; node ${process.version}; load average ${loadBefore} at start, ${load()} at end`,
    '',
    ratioTable(sides),
  ];
  for (const op of ops) {
    // Profiles over the last round's window.
    const last = (side: Side): MeasuredLoad => side.runs[op][rounds - 1] as MeasuredLoad;
    if (profiled.length === 1) {
      const [side] = profiled as [Side];
      out.push('', `${side.label} ${OP_TITLES[op]} (${side.main}, log level ${side.level}), last round: ${describe(last(side))}`);
      out.push(renderProfile(summariseProfile(profileFile(side.profileDir as string), Number(args.top), last(side).windowMicros)));
    } else {
      const [a, b] = profiled as [Side, Side];
      out.push('', `${OP_TITLES[op]}, last round: ${a.label} = ${a.main} (${a.level}), ${b.label} = ${b.main} (${b.level})`);
      out.push(
        renderProfileDiff(
          { label: a.label, profileDir: a.profileDir as string, run: last(a) },
          { label: b.label, profileDir: b.profileDir as string, run: last(b) },
          Number(args.top),
        ),
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  killAllChildren();
  if (args.keep) log(`profiles and logs kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
