/**
 * Flotilla on Node 20 (a worktree of 30e92f5, the last commit that ran on it,
 * run by the system Node 20) against Flotilla on Node 24 (this tree's
 * bundles, run by the pinned Node 24), in one run on one machine:
 *
 * 1. `GET /users/:id`, users service on SQLite, access log off;
 * 2. a proxied `GET` through the gateway (governance off, access log off)
 *    to the tiny upstream.
 *
 * Both sides run at the same time; each round loads both at once at the same
 * fixed rate, so both see the same moment of a shared machine. The figure
 * that matters is the server's CPU µs per request (Node 24 / Node 20).
 *
 *   node bench/runtime/run.ts [--rounds 3] [--duration 8] [--warmup 3] [--rate 800] [--connections 32]
 *     [--users 300] [--prewarm 5] [--starts 3] [--closed-rounds 1] [--scenario both|users|gateway] [--setup-only] [--no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type LoadKind, type MeasuredLoad } from '../lib/load.ts';
import { rssMiB } from '../lib/proc-stats.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { seedUsers } from '../users/servers.ts';
import { NODE20_COMMIT, currentCheckout, ensureNode20, type Checkout } from './node20.ts';
import { startGateway, startUpstream, startUsers, type Started } from './servers.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    rate: { type: 'string', default: '800' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '300' },
    prewarm: { type: 'string', default: '5' },
    starts: { type: 'string', default: '3' },
    'closed-rounds': { type: 'string', default: '1' },
    scenario: { type: 'string', default: 'both' },
    'setup-only': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const rate = Number(args.rate);
const connections = Number(args.connections);
const prewarm = Number(args.prewarm);
const starts = Number(args.starts);
const closedRounds = Number(args['closed-rounds']);
if (!['both', 'users', 'gateway'].includes(args.scenario)) throw new Error('--scenario is both, users or gateway');
if (!(rate > 0)) throw new Error('--rate must be > 0: the rounds are open loop (the closed-loop round is --closed-rounds)');
const pin = !args['no-pin'];
const SERVER_CPU = pin ? '0' : undefined;
const LOAD_CPU = pin ? '1' : undefined;

const log = (message: string): void => void process.stderr.write(`runtime: ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Side {
  /** Short name for process and file names. */
  key: 'node20' | 'node24';
  label: string;
  /** Which tree its bundles come from. */
  origin: string;
  checkout: Checkout;
}

interface SideResult {
  side: Side;
  readyMs: number[];
  rssIdle: number;
  rssAfter: number;
  /** Fixed-rate runs, loaded at the same time as the other side's. */
  paired: MeasuredLoad[];
  /** Closed-loop runs, one side after the other. */
  closed: MeasuredLoad[];
}

interface Scenario {
  title: string;
  key: string;
  /** Starts one side's server and waits for /readyz. */
  start(side: Side, name: string): Promise<Started>;
  /** What the load sends, once idle RSS is taken (the users scenario seeds here). */
  loadKind(server: Started): Promise<LoadKind>;
}

interface LoadPlan {
  warmupSeconds: number;
  durationSeconds: number;
  /** Requests per second offered (open loop); undefined: as fast as the server answers. */
  rate: number | undefined;
}

const FIXED_RATE: LoadPlan = { warmupSeconds: warmup, durationSeconds: duration, rate };
const CLOSED_LOOP: LoadPlan = { warmupSeconds: warmup, durationSeconds: duration, rate: undefined };

function load(server: Started, kind: LoadKind, name: string, plan: LoadPlan): Promise<MeasuredLoad> {
  const { rate: planRate, ...times } = plan;
  return runLoad(
    { url: server.url, kind, connections, pipelining: 1, ...times, ...(planRate === undefined ? {} : { rate: planRate }) },
    { name, serverPid: server.child.pid, cpus: LOAD_CPU, workDir, repoRoot: REPO_ROOT },
  );
}

const describe = (run: MeasuredLoad): string =>
  `${fixed(run.requestsPerSecond)} req/s, p99 ${run.latencyP99Ms} ms, ${fixed(run.serverCpuMicrosPerRequest, 1)} µs CPU/req, non-2xx+errors ${run.non2xx + run.errors + run.timeouts}`;

/** Spawn → ready, `starts` times per side, alternating which side goes first so neither always starts on a warmer machine. */
async function coldStarts(scenario: Scenario, sides: SideResult[]): Promise<void> {
  for (let i = 0; i < starts; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const result of order) {
      const server = await scenario.start(result.side, `${scenario.key}-${result.side.key}-start-${i + 1}`);
      await server.child.stop();
      result.readyMs.push(server.readyMs);
      log(`  ${result.side.label}: ready in ${fixed(server.readyMs)} ms`);
    }
  }
}

/** Both sides loaded at the same time, as fast as each answers, so both hot paths are compiled before anything is measured (as policies.ts does). */
async function prewarmBoth(key: string, results: SideResult[], servers: Started[], kinds: LoadKind[]): Promise<void> {
  log(`${key}: pre-warming both sides for ${prewarm} s (closed loop, at the same time)`);
  const plan: LoadPlan = { warmupSeconds: 0, durationSeconds: prewarm, rate: undefined };
  await Promise.all(
    results.map((result, i) => load(servers[i] as Started, kinds[i] as LoadKind, `${key}-${result.side.key}-prewarm`, plan)),
  );
}

/** The figure: each round loads both sides at once at the same fixed rate. */
async function fixedRateRounds(key: string, results: SideResult[], servers: Started[], kinds: LoadKind[]): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    log(`${key} round ${round}/${rounds}: both sides at ${rate} req/s at the same time`);
    const runs = await Promise.all(
      results.map((result, i) => load(servers[i] as Started, kinds[i] as LoadKind, `${key}-${result.side.key}-rate-${round}`, FIXED_RATE)),
    );
    runs.forEach((run, i) => {
      const result = results[i] as SideResult;
      result.paired.push(run);
      log(`  ${result.side.label}: ${describe(run)}`);
    });
  }
}

/** A second opinion: each side alone, as fast as it answers; the order alternates per round. */
async function closedLoopRounds(key: string, results: SideResult[], servers: Started[], kinds: LoadKind[]): Promise<void> {
  for (let round = 1; round <= closedRounds; round++) {
    log(`${key} closed loop ${round}/${closedRounds}: one side after the other`);
    for (const i of round % 2 === 1 ? [0, 1] : [1, 0]) {
      const result = results[i] as SideResult;
      const run = await load(servers[i] as Started, kinds[i] as LoadKind, `${key}-${result.side.key}-closed-${round}`, CLOSED_LOOP);
      result.closed.push(run);
      log(`  ${result.side.label}: ${describe(run)}`);
    }
  }
}

/** Starts, then both sides up for every round; RSS before any traffic and after the last load. */
async function measureScenario(scenario: Scenario, sides: Side[]): Promise<SideResult[]> {
  const results: SideResult[] = sides.map((side) => ({
    side,
    readyMs: [],
    rssIdle: Number.NaN,
    rssAfter: Number.NaN,
    paired: [],
    closed: [],
  }));
  log(`${scenario.title}: ${starts} start(s) per side, interleaved`);
  await coldStarts(scenario, results);
  const servers: Started[] = [];
  for (const result of results) servers.push(await scenario.start(result.side, `${scenario.key}-${result.side.key}`));
  await sleep(1_000);
  results.forEach((result, i) => {
    result.rssIdle = rssMiB((servers[i] as Started).child.pid);
  });
  const kinds: LoadKind[] = [];
  for (const server of servers) kinds.push(await scenario.loadKind(server));
  if (prewarm > 0) await prewarmBoth(scenario.key, results, servers, kinds);
  await fixedRateRounds(scenario.key, results, servers, kinds);
  await closedLoopRounds(scenario.key, results, servers, kinds);
  await sleep(2_000);
  results.forEach((result, i) => {
    result.rssAfter = rssMiB((servers[i] as Started).child.pid);
  });
  await Promise.all(servers.map((server) => server.child.stop()));
  return results;
}

function usersScenario(): Scenario {
  return {
    title: 'Scenario 1, GET /users/:id (users service, SQLite)',
    key: 'users',
    start: (side, name) => startUsers(side.checkout, { name, cpus: SERVER_CPU, workDir }),
    async loadKind(server) {
      const ids = await seedUsers(server.url, Number(args.users));
      return { type: 'get', pathPrefix: '/users/', ids };
    },
  };
}

/** One upstream shared by both gateways: the same process answers both, so neither side gets a different upstream. */
function gatewayScenario(upstream: Started): Scenario {
  return {
    title: 'Scenario 2, GET /api/hello/:id through the gateway to the tiny upstream',
    key: 'gateway',
    start: (side, name) => startGateway(side.checkout, upstream.url, { name, cpus: SERVER_CPU, workDir }),
    loadKind: async () => ({ type: 'get', pathPrefix: '/api/hello/', ids: ['ada', 'grace', 'alan', 'edsger'] }),
  };
}

/** At a fixed rate a round counts only if both sides were served (nearly) that rate: otherwise one was starved by other jobs. */
const servedEnough = (run: MeasuredLoad): boolean => run.requestsPerSecond >= 0.95 * rate;
const cpuOf = (run: MeasuredLoad): number => run.serverCpuMicrosPerRequest;
const errorsOf = (runs: MeasuredLoad[]): number => runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
const bracket = (value: string, counted: boolean): string => (counted ? value : `(${value})`);

interface Ratios {
  perRound: number[];
  counted: boolean[];
  median: number;
  /** False when no round counted and the median is over all rounds. */
  fromCounted: boolean;
}

function cpuRatios(base: SideResult, changed: SideResult): Ratios {
  const perRound = changed.paired.map((run, i) => cpuOf(run) / cpuOf(base.paired[i] as MeasuredLoad));
  const counted = changed.paired.map((run, i) => servedEnough(run) && servedEnough(base.paired[i] as MeasuredLoad));
  const kept = perRound.filter((_, i) => counted[i]);
  return { perRound, counted, median: median(kept.length > 0 ? kept : perRound), fromCounted: kept.length > 0 };
}

function sideRow(result: SideResult, counted: boolean[]): string[] {
  const { paired, closed } = result;
  const countedRuns = paired.filter((_, i) => counted[i]);
  return [
    `${result.side.label}`,
    fixed(median(paired.map((r) => r.requestsPerSecond))),
    fixed(median(paired.map((r) => r.latencyP50Ms)), 1),
    fixed(median(paired.map((r) => r.latencyP99Ms)), 1),
    fixed(median((countedRuns.length > 0 ? countedRuns : paired).map(cpuOf)), 1),
    paired.map((r, i) => bracket(fixed(cpuOf(r)), counted[i] === true)).join(' / '),
    fixed(median(closed.map((r) => r.requestsPerSecond))),
    fixed(median(closed.map(cpuOf)), 1),
    fixed(result.rssIdle, 1),
    fixed(result.rssAfter, 1),
    `${fixed(median(result.readyMs))} (${result.readyMs.map((ms) => fixed(ms)).join(', ')})`,
    String(errorsOf([...paired, ...closed])),
  ];
}

/** Node 24 / Node 20 for every figure; CPU per request as the median of the per-round ratios. */
function ratioRow(base: SideResult, changed: SideResult, ratios: Ratios): string[] {
  const of = (pick: (r: SideResult) => number): string => fixed(pick(changed) / pick(base), 2);
  const closedCpu = (r: SideResult): number => median(r.closed.map(cpuOf));
  return [
    `${changed.side.label} / ${base.side.label}`,
    of((r) => median(r.paired.map((x) => x.requestsPerSecond))),
    of((r) => median(r.paired.map((x) => x.latencyP50Ms))),
    of((r) => median(r.paired.map((x) => x.latencyP99Ms))),
    `${fixed(ratios.median, 2)}${ratios.fromCounted ? '' : ' (no round counted)'}`,
    ratios.perRound.map((r, i) => bracket(fixed(r, 2), ratios.counted[i] === true)).join(' / '),
    of((r) => median(r.closed.map((x) => x.requestsPerSecond))),
    of(closedCpu),
    of((r) => r.rssIdle),
    of((r) => r.rssAfter),
    of((r) => median(r.readyMs)),
    '',
  ];
}

function report(scenario: Scenario, results: SideResult[]): void {
  const [base, changed] = results as [SideResult, SideResult];
  const ratios = cpuRatios(base, changed);
  console.log(`\n${scenario.title}`);
  console.log(
    `${rounds} round(s) of ${duration} s (+${warmup} s warm-up), ${rate} req/s offered to each side at the same time (open loop), ${connections} connections each; ` +
      `closed loop: ${closedRounds} round(s), each side alone, one after the other; ready: spawn → /readyz 200, ${starts} start(s) each; ` +
      `${pin ? 'servers on CPU 0, load on CPU 1' : 'unpinned'} (medians)\n`,
  );
  console.log(
    renderTable(
      [
        'side',
        'req/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/req',
        'per round',
        'closed req/s',
        'closed CPU µs/req',
        'RSS idle MiB',
        'RSS after MiB',
        'ready ms',
        'non-2xx+errors',
      ],
      [sideRow(base, ratios.counted), sideRow(changed, ratios.counted), ratioRow(base, changed, ratios)],
    ),
  );
  console.log(
    `\n${scenario.key}: Node 24 / Node 20 CPU µs per request at ${rate} req/s, side by side: ${fixed(ratios.median, 2)}x ` +
      `(median of ${ratios.fromCounted ? 'counted rounds' : 'all rounds; none counted'}: ${ratios.perRound.map((r, i) => bracket(fixed(r, 2), ratios.counted[i] === true)).join(' / ')})`,
  );
  const left = ratios.counted.filter((c) => !c).length;
  if (left > 0)
    console.log(
      `(${left} round(s) in brackets left out: a side was served under 95 % of the ${rate} req/s offered, starved by other jobs)`,
    );
}

/** An upper bound on the run, so a hung child or load can never keep the bench alive. */
function watchdog(scenarios: number): void {
  const perLoad = warmup + duration + 10;
  const perScenario = 2 * starts * 15 + 30 + prewarm + 10 + rounds * perLoad + 2 * closedRounds * perLoad + 60;
  const seconds = 2 * scenarios * perScenario + 120;
  const timer = setTimeout(() => {
    log(`watchdog: still running after ${seconds} s, stopping every child`);
    killAllChildren();
    process.exit(1);
  }, seconds * 1000);
  timer.unref();
}

const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-runtime-'));
installCleanup(async () => undefined);
let failed = true;
try {
  // This tree first: a missing build is reported before the (one-time, slow) Node 20 setup.
  const node24 = currentCheckout(REPO_ROOT);
  const node20 = await ensureNode20(REPO_ROOT);
  if (args['setup-only']) {
    failed = false;
  } else {
    const sides: Side[] = [
      { key: 'node20', label: 'Node 20', origin: `${NODE20_COMMIT}, worktree`, checkout: node20 },
      { key: 'node24', label: 'Node 24', origin: 'this tree', checkout: node24 },
    ];
    const which = args.scenario;
    watchdog(which === 'both' ? 2 : 1);
    const [one, five, fifteen] = loadavg();
    log(`load average ${fixed(one ?? 0, 1)} ${fixed(five ?? 0, 1)} ${fixed(fifteen ?? 0, 1)}; work dir ${workDir}`);
    console.log('Flotilla on Node 20 vs Node 24');
    for (const side of sides)
      console.log(`  ${side.label}: ${side.checkout.node} ${side.checkout.version}, bundles of ${side.origin} (${side.checkout.root})`);
    if (which !== 'gateway') {
      const scenario = usersScenario();
      report(scenario, await measureScenario(scenario, sides));
    }
    if (which !== 'users') {
      // The upstream runs on the pinned Node 24 for both sides: only the gateway's runtime differs.
      const upstream = await startUpstream(node24.node, { name: 'upstream', cpus: SERVER_CPU, workDir });
      const scenario = gatewayScenario(upstream);
      report(scenario, await measureScenario(scenario, sides));
      await upstream.child.stop();
    }
    failed = false;
  }
} finally {
  killAllChildren();
  if (failed) log(`failed; logs kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
