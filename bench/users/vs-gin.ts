/**
 * Flotilla's users service against the same API in Go (Gin + GORM,
 * ../gin-peer), in one run on one machine (see README.md):
 *
 *   node bench/users/vs-gin.ts [--rounds 3] [--duration 8] [--warmup 3] [--rate 800] [--connections 32]
 *     [--users 300] [--prewarm 5] [--starts 5] [--closed-rounds 1] [--postgres | --postgres-url URL]
 *     [--access-log on|off] [--node-options="<the images' flags>"] [--profile] [--json FILE] [--no-pin]
 *
 * On SQLite, and on PostgreSQL when one is asked for (`--postgres` starts one
 * through scripts/test-services; `--postgres-url` or FLOTILLA_TEST_POSTGRES_URL
 * names one), each side on its own file or database seeded with the same
 * users. Both sides stay up for every round; each round loads both at once at
 * the same fixed rate (GET, then POST), then each side alone as fast as it
 * answers. Servers on CPU 0, load generators on CPU 1. The figure is the
 * server's CPU µs per request, Flotilla / Gin.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import { renderProfile, summariseProfile } from '../lib/cpuprofile.ts';
import { runLoad, type LoadKind, type MeasuredLoad } from '../lib/load.ts';
import { rssMiB } from '../lib/proc-stats.ts';
import { fixed } from '../lib/table.ts';
import { createDatabases, dropDatabases, startPostgresServer, type PostgresServer } from './postgres.ts';
import { REPO_ROOT, USERS_MAIN, seedUsers } from './servers.ts';
import { PRODUCTION_NODE_FLAGS } from '../lib/production-flags.ts';
import { SIDE_LABELS, buildGinPeer, startFlotilla, startGin, type SideKey, type StartOptions, type Started } from './vs-gin-sides.ts';
import {
  OP_TITLES,
  TARGETS,
  renderMemory,
  renderOperation,
  renderTargets,
  targetRows,
  type OpKey,
  type ReadyFigures,
  type SideFigures,
  type Store,
  type StoreFigures,
} from './vs-gin-report.ts';

const USERS_UNBUNDLED = join(REPO_ROOT, 'services/users/dist/main.js');

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    rate: { type: 'string', default: '800' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '300' },
    prewarm: { type: 'string', default: '5' },
    starts: { type: 'string', default: '5' },
    'closed-rounds': { type: 'string', default: '1' },
    postgres: { type: 'boolean', default: false },
    'postgres-url': { type: 'string' },
    'access-log': { type: 'string', default: 'on' },
    profile: { type: 'boolean', default: false },
    json: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    // What the images run with; '' for Node's defaults (what `npm start` uses).
    'node-options': { type: 'string', default: PRODUCTION_NODE_FLAGS },
  },
});
const flotillaNodeArgs = args['node-options'].split(' ').filter(Boolean);
const settings = {
  rounds: Number(args.rounds),
  durationSeconds: Number(args.duration),
  warmupSeconds: Number(args.warmup),
  rate: Number(args.rate),
  connections: Number(args.connections),
  users: Number(args.users),
  prewarmSeconds: Number(args.prewarm),
  starts: Number(args.starts),
  closedRounds: Number(args['closed-rounds']),
  accessLog: args['access-log'] === 'on',
};
for (const [name, value] of Object.entries(settings))
  if (typeof value === 'number' && !(Number.isInteger(value) && value >= 0)) throw new Error(`${name}: a whole number ≥ 0, not ${value}`);
if (!(settings.rate > 0 && settings.rounds > 0 && settings.durationSeconds > 0 && settings.users > 0))
  throw new Error('--rate, --rounds, --duration and --users must be > 0');
if (!['on', 'off'].includes(args['access-log'])) throw new Error('--access-log is on or off');
const postgresUrl = args['postgres-url'] ?? (args.postgres ? undefined : process.env.FLOTILLA_TEST_POSTGRES_URL);
const pin = !args['no-pin'];
const SERVER_CPU = pin ? '0' : undefined;
const LOAD_CPU = pin ? '1' : undefined;
const SIDES: SideKey[] = ['flotilla', 'gin'];
const OPS: OpKey[] = ['get', 'post'];
/** One database per side on PostgreSQL; the names are the bench's own. */
const PG_DATABASES: Record<SideKey, string> = { flotilla: 'bench_vs_gin_flotilla', gin: 'bench_vs_gin_gin' };

const log = (message: string): void => void process.stderr.write(`vs-gin: ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const file of [USERS_MAIN, ...(args.profile ? [USERS_UNBUNDLED] : [])])
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build)`);

const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-vs-gin-'));
const running = new Set<Started>();
let postgres: PostgresServer | undefined;
let pgAdminUrl: string | undefined;

async function stopEverything(): Promise<void> {
  await Promise.allSettled([...running].map((server) => server.child.stop(2_000)));
  running.clear();
  if (pgAdminUrl !== undefined && postgres === undefined)
    await dropDatabases(pgAdminUrl, Object.values(PG_DATABASES)).catch((error: Error) =>
      log(`dropping the bench databases: ${error.message}`),
    );
  await postgres?.stop();
  postgres = undefined;
  pgAdminUrl = undefined;
}

async function stop(server: Started): Promise<void> {
  await server.child.stop();
  running.delete(server);
}

function start(bin: string, side: SideKey, opts: Omit<StartOptions, 'cpus' | 'workDir' | 'accessLog'>): Promise<Started> {
  const full: StartOptions = { ...opts, cpus: SERVER_CPU, workDir, accessLog: settings.accessLog };
  return (side === 'flotilla' ? startFlotilla({ ...full, nodeArgs: flotillaNodeArgs }) : startGin(bin, full)).then((server) => {
    running.add(server);
    return server;
  });
}

interface LoadPlan {
  warmupSeconds: number;
  durationSeconds: number;
  /** Requests per second offered (open loop); undefined: as fast as the server answers. */
  rate: number | undefined;
}

const FIXED_RATE: LoadPlan = { warmupSeconds: settings.warmupSeconds, durationSeconds: settings.durationSeconds, rate: settings.rate };
const CLOSED_LOOP: LoadPlan = { warmupSeconds: settings.warmupSeconds, durationSeconds: settings.durationSeconds, rate: undefined };

function load(server: Started, kind: LoadKind, name: string, plan: LoadPlan): Promise<MeasuredLoad> {
  const { rate, ...times } = plan;
  return runLoad(
    { url: server.url, kind, connections: settings.connections, pipelining: 1, ...times, ...(rate === undefined ? {} : { rate }) },
    { name, serverPid: server.child.pid, cpus: LOAD_CPU, workDir, repoRoot: REPO_ROOT },
  );
}

const describe = (run: MeasuredLoad): string =>
  `${fixed(run.requestsPerSecond)} req/s, p50 ${run.latencyP50Ms} ms, p99 ${run.latencyP99Ms} ms, ${fixed(run.serverCpuMicrosPerRequest, 1)} µs CPU/req, non-2xx+errors ${run.non2xx + run.errors + run.timeouts}`;

/** Spawn → ready on a fresh SQLite file, `starts` times per side, alternating which side goes first. */
async function readyTimes(bin: string): Promise<ReadyFigures> {
  const ready: ReadyFigures = { flotilla: [], gin: [] };
  for (let i = 0; i < settings.starts; i++) {
    for (const side of i % 2 === 0 ? SIDES : [...SIDES].reverse()) {
      const server = await start(bin, side, {
        name: `${side}-start-${i + 1}`,
        dsn: `sqlite:${join(workDir, `${side}-start-${i + 1}.sqlite`)}`,
      });
      await stop(server);
      ready[side].push(server.readyMs);
      log(`  ${SIDE_LABELS[side]}: ready in ${fixed(server.readyMs)} ms`);
    }
  }
  return ready;
}

const kindFor = (op: OpKey, side: SideKey, store: Store, ids: string[]): LoadKind =>
  op === 'get'
    ? { type: 'get', pathPrefix: '/users/', ids }
    : { type: 'post', path: '/users', emailPrefix: `load-${side}-${store === 'SQLite' ? 'sqlite' : 'pg'}` };

function emptySide(): SideFigures {
  return {
    rssIdleMiB: Number.NaN,
    rssAfterMiB: Number.NaN,
    fixedRate: { get: [], post: [] },
    closedLoop: { get: [], post: [] },
    log: { bytes: 0, accessLines: 0 },
  };
}

function logFacts(file: string): SideFigures['log'] {
  const text = readFileSync(file, 'utf8');
  let accessLines = 0;
  for (let at = text.indexOf('"type":["access"]'); at >= 0; at = text.indexOf('"type":["access"]', at + 1)) accessLines++;
  return { bytes: Buffer.byteLength(text), accessLines };
}

/** Both sides on one store: idle RSS, seeding, pre-warm, fixed-rate rounds side by side, closed loop alone, RSS after. */
async function measureStore(bin: string, store: Store, dsns: Record<SideKey, string>): Promise<{ figures: StoreFigures; ids: string[] }> {
  const servers = {} as Record<SideKey, Started>;
  for (const side of SIDES) servers[side] = await start(bin, side, { name: `${side}-${store.toLowerCase()}`, dsn: dsns[side] });
  const sides: Record<SideKey, SideFigures> = { flotilla: emptySide(), gin: emptySide() };
  await sleep(1_000);
  for (const side of SIDES) sides[side].rssIdleMiB = rssMiB(servers[side].child.pid);
  const ids = {} as Record<SideKey, string[]>;
  for (const side of SIDES) ids[side] = await seedUsers(servers[side].url, settings.users);
  log(`${store}: ${settings.users} users seeded on each side (the same names and emails)`);
  const kinds = (op: OpKey): Record<SideKey, LoadKind> => ({
    flotilla: kindFor(op, 'flotilla', store, ids.flotilla),
    gin: kindFor(op, 'gin', store, ids.gin),
  });
  const both = (op: OpKey, name: string, plan: LoadPlan): Promise<MeasuredLoad[]> =>
    Promise.all(SIDES.map((side) => load(servers[side], kinds(op)[side], `${store}-${op}-${side}-${name}`, plan)));

  if (settings.prewarmSeconds > 0) {
    log(`${store}: pre-warming both sides, ${settings.prewarmSeconds} s per operation, closed loop, at the same time`);
    for (const op of OPS) await both(op, 'prewarm', { warmupSeconds: 0, durationSeconds: settings.prewarmSeconds, rate: undefined });
  }
  for (let round = 1; round <= settings.rounds; round++) {
    for (const op of OPS) {
      log(`${store} round ${round}/${settings.rounds}, ${OP_TITLES[op]}: both sides at ${settings.rate} req/s at the same time`);
      const runs = await both(op, `rate-${round}`, FIXED_RATE);
      runs.forEach((run, i) => {
        const side = SIDES[i] as SideKey;
        sides[side].fixedRate[op].push(run);
        log(`  ${SIDE_LABELS[side]}: ${describe(run)}`);
      });
    }
  }
  for (let round = 1; round <= settings.closedRounds; round++) {
    for (const op of OPS) {
      log(`${store} closed loop ${round}/${settings.closedRounds}, ${OP_TITLES[op]}: one side after the other`);
      for (const side of round % 2 === 1 ? SIDES : [...SIDES].reverse()) {
        const run = await load(servers[side], kinds(op)[side], `${store}-${op}-${side}-closed-${round}`, CLOSED_LOOP);
        sides[side].closedLoop[op].push(run);
        log(`  ${SIDE_LABELS[side]}: ${describe(run)}`);
      }
    }
  }
  await sleep(2_000);
  for (const side of SIDES) sides[side].rssAfterMiB = rssMiB(servers[side].child.pid);
  for (const side of SIDES) {
    await stop(servers[side]);
    sides[side].log = logFacts(servers[side].logFile);
  }
  return { figures: { store, sides }, ids: ids.flotilla };
}

/** Flotilla's GET on its seeded SQLite file under --cpu-prof, alone at the fixed rate; the unbundled dist/main.js, so the profile names packages. */
async function profileGet(ids: string[]): Promise<string> {
  const dir = join(workDir, 'profile');
  const server = await startFlotilla({
    name: 'flotilla-profiled',
    dsn: `sqlite:${join(workDir, 'flotilla-sqlite.sqlite')}`,
    cpus: SERVER_CPU,
    workDir,
    accessLog: settings.accessLog,
    nodeArgs: [...flotillaNodeArgs, '--cpu-prof', '--cpu-prof-dir', dir],
    main: USERS_UNBUNDLED,
  });
  running.add(server);
  log(`profiling Flotilla's GET /users/:id on SQLite at ${settings.rate} req/s`);
  const run = await load(server, { type: 'get', pathPrefix: '/users/', ids }, 'profile-get', FIXED_RATE);
  await stop(server);
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile was written to ${dir}`);
  return [
    `CPU profile of Flotilla's GET /users/:id on SQLite (unbundled dist/main.js, --cpu-prof), measured window only: ${describe(run)}`,
    renderProfile(summariseProfile(join(dir, file), 25, run.windowMicros)),
  ].join('\n');
}

async function postgresDsns(): Promise<Record<SideKey, string> | undefined> {
  if (postgresUrl === undefined && !args.postgres) return undefined;
  if (postgresUrl === undefined) {
    postgres = await startPostgresServer(log);
    pgAdminUrl = postgres.adminUrl;
  } else {
    pgAdminUrl = postgresUrl;
  }
  const [flotilla, gin] = await createDatabases(pgAdminUrl, [PG_DATABASES.flotilla, PG_DATABASES.gin]);
  return { flotilla: flotilla as string, gin: gin as string };
}

/** An upper bound on the run, so a hung child or load can never keep the bench alive. */
function watchdog(stores: number): void {
  const perLoad = settings.warmupSeconds + settings.durationSeconds + 10;
  const perStore =
    60 +
    settings.users / 10 +
    OPS.length * (settings.prewarmSeconds + 10 + settings.rounds * perLoad + 2 * settings.closedRounds * perLoad);
  const seconds = 2 * (stores * perStore + 2 * settings.starts * 15 + (args.profile ? perLoad + 30 : 0)) + 600;
  const timer = setTimeout(() => {
    log(`watchdog: still running after ${seconds} s, stopping every child`);
    killAllChildren();
    process.exit(1);
  }, seconds * 1000);
  timer.unref();
}

function report(all: StoreFigures[], ready: ReadyFigures, header: string[], profile: string | undefined): void {
  const out = [...header, ''];
  for (const figures of all) for (const op of OPS) out.push(renderOperation(figures, op, settings.rate), '');
  out.push(renderMemory(all, ready), '', renderTargets(targetRows(all, ready, settings.rate)));
  if (profile !== undefined) out.push('', profile);
  process.stdout.write(`${out.join('\n')}\n`);
}

installCleanup(async () => {
  await stopEverything();
  rmSync(workDir, { recursive: true, force: true });
});
let failed = true;
try {
  const bin = await buildGinPeer(log);
  const dsnsPg = await postgresDsns();
  watchdog(dsnsPg === undefined ? 1 : 2);
  const loadBefore = loadavg();
  const startedAt = new Date();
  log(`load average ${loadBefore.map((l) => fixed(l, 2)).join(' ')}; work dir ${workDir}`);
  log(`spawn → ready: ${settings.starts} start(s) per side on a fresh SQLite file, interleaved`);
  const ready = await readyTimes(bin);
  const all: StoreFigures[] = [];
  const sqlite = await measureStore(bin, 'SQLite', {
    flotilla: `sqlite:${join(workDir, 'flotilla-sqlite.sqlite')}`,
    gin: `sqlite:${join(workDir, 'gin-sqlite.sqlite')}`,
  });
  all.push(sqlite.figures);
  if (dsnsPg !== undefined) all.push((await measureStore(bin, 'PostgreSQL', dsnsPg)).figures);
  const profile = args.profile ? await profileGet(sqlite.ids) : undefined;
  const loadAfter = loadavg();
  const header = [
    `Flotilla users vs Gin + GORM, ${startedAt.toISOString()}`,
    `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, gin-peer ${bin}; load average ${loadBefore.map((l) => fixed(l, 2)).join(' ')} at start, ${loadAfter.map((l) => fixed(l, 2)).join(' ')} at end`,
    `${settings.rounds} round(s) of ${settings.durationSeconds} s (+${settings.warmupSeconds} s warm-up) per operation, ${settings.rate} req/s offered to each side at the same time (open loop), ${settings.connections} connections each; ` +
      `closed loop: ${settings.closedRounds} round(s), each side alone; ${settings.users} users seeded per side; ` +
      `access log ${settings.accessLog ? 'on (Flotilla at level info, its production default; Gin: one JSON line per request), to a file' : 'off (Flotilla at warn, Gin without access log)'}; ` +
      `Flotilla's node flags: ${flotillaNodeArgs.join(' ') || "Node's defaults"}; ` +
      `${pin ? 'servers on CPU 0, load generators on CPU 1' : 'unpinned'}; figures are medians; targets: GET CPU ≤ ${TARGETS.getCpu}×, POST CPU ≤ ${TARGETS.postCpu}×, ` +
      `idle RSS ≤ ${TARGETS.idleRssMB} MB, after load ≤ ${TARGETS.afterLoadRssMB} MB, spawn → ready ≤ ${TARGETS.readyMs} ms`,
  ];
  report(all, ready, header, profile);
  if (args.json !== undefined) {
    writeFileSync(args.json, JSON.stringify({ startedAt, loadBefore, loadAfter, settings, ready, stores: all }, null, 2));
  }
  failed = false;
} finally {
  await stopEverything();
  killAllChildren();
  if (failed) log(`failed; logs kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
