/**
 * The users-service benchmark, all in one run (see bench/README.md):
 *   node bench/users/run.ts [--rounds 3] [--duration 5] [--warmup 2]
 *     [--connections 20] [--pipelining 1] [--users 1000] [--cold-starts 5]
 *     [--no-pin] [--skip-postgres] [--profile] [--json FILE] [--keep]
 * Servers run pinned to CPU 0 and the load generator to CPU 1 (unless --no-pin).
 * All servers start first and stay up; each round then loads every target in
 * turn, so drift on a shared machine hits every target alike.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import { renderProfile, summariseProfile } from '../lib/cpuprofile.ts';
import { runLoad, type LoadKind, type MeasuredLoad } from '../lib/load.ts';
import { rssMiB } from '../lib/proc-stats.ts';
import { median } from '../lib/table.ts';
import { startBenchPostgres, type BenchPostgres } from './postgres.ts';
import {
  BARE,
  ratioToBare,
  renderColdStarts,
  renderLoadTable,
  renderMemory,
  renderTargets,
  type ColdStarts,
  type LoadRow,
  type MemoryRow,
} from './report.ts';
import { REPO_ROOT, USERS_MAIN, seedUsers, startPeer, startUsers, type RunningServer } from './servers.ts';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    pipelining: { type: 'string', default: '1' },
    users: { type: 'string', default: '1000' },
    'cold-starts': { type: 'string', default: '5' },
    'no-pin': { type: 'boolean', default: false },
    'skip-postgres': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const settings = {
  rounds: Number(flags.rounds),
  durationSeconds: Number(flags.duration),
  warmupSeconds: Number(flags.warmup),
  connections: Number(flags.connections),
  pipelining: Number(flags.pipelining),
  users: Number(flags.users),
  coldStarts: Number(flags['cold-starts']),
};
const SERVER_CPUS = flags['no-pin'] ? undefined : '0';
const LOAD_CPUS = flags['no-pin'] ? undefined : '1';
const TARGETS = { getSqliteRatio: 0.6, coldStartMs: 500, idleRssMiB: 90 };
const GET_SQLITE = 'users GET /users/:id, SQLite';

const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (!existsSync(USERS_MAIN)) throw new Error(`${USERS_MAIN} is missing: build first (cd ${REPO_ROOT} && npx tsc -b)`);
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-users-'));
const running = new Set<RunningServer>();
let postgres: BenchPostgres | undefined;

async function stopEverything(): Promise<void> {
  await Promise.allSettled([...running].map((server) => server.child.stop(2_000)));
  running.clear();
  await postgres?.stop();
  postgres = undefined;
}
function removeWorkDir(): void {
  if (flags.keep) log(`kept ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
installCleanup(async () => {
  await stopEverything();
  removeWorkDir();
});

async function stop(server: RunningServer): Promise<void> {
  await server.child.stop();
  running.delete(server);
}

function track(server: RunningServer): RunningServer {
  running.add(server);
  return server;
}

const usersOptions = (name: string, dsn: string, logLevel: 'warn' | 'info', logFile = join(workDir, `${name}.log`)) => ({
  name,
  dsn,
  logLevel,
  outputFile: logFile,
  workDir,
  cpus: SERVER_CPUS,
});
const getKind = (ids: string[]): LoadKind => ({ type: 'get', pathPrefix: '/users/', ids });
const postKind = (tag: string): LoadKind => ({ type: 'post', path: '/users', emailPrefix: `load-${tag}-${process.pid}` });

async function load(name: string, server: RunningServer, kind: LoadKind): Promise<MeasuredLoad> {
  const result = await runLoad(
    {
      url: server.url,
      kind,
      connections: settings.connections,
      pipelining: settings.pipelining,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
    },
    { name, serverPid: server.child.pid, cpus: LOAD_CPUS, workDir, repoRoot: REPO_ROOT },
  );
  log(
    `  ${name}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.latencyP99Ms} ms, server CPU ${result.serverCpuPercent.toFixed(0)} % (${result.serverCpuMicrosPerRequest.toFixed(0)} µs/req), loadgen CPU ${result.loadCpuPercent.toFixed(0)} %`,
  );
  return result;
}

/** Spawn → /readyz 200, N times each, peer and users interleaved so drift hits both alike. */
async function coldStarts(): Promise<ColdStarts> {
  const result: ColdStarts = { peerMs: [], usersMs: [] };
  for (let i = 0; i < settings.coldStarts; i++) {
    const peer = track(await startPeer({ name: `peer cold ${i}`, workDir, cpus: SERVER_CPUS, outputFile: join(workDir, 'peer-cold.log') }));
    result.peerMs.push(peer.readyAt - peer.spawnedAt);
    await stop(peer);
    const users = track(await startUsers(usersOptions(`users-cold-${i}`, `sqlite:${join(workDir, `cold-${i}.sqlite`)}`, 'warn')));
    result.usersMs.push(users.readyAt - users.spawnedAt);
    await stop(users);
  }
  log(`cold start medians: peer ${median(result.peerMs).toFixed(0)} ms, users ${median(result.usersMs).toFixed(0)} ms`);
  return result;
}

interface Target {
  name: string;
  server: RunningServer;
  kind: LoadKind;
}

interface Instance {
  label: string;
  server: RunningServer;
  memory: MemoryRow;
}

/** Starts an instance, lets it settle, and records its idle RSS before any traffic. */
async function instance(label: string, start: () => Promise<RunningServer>): Promise<Instance> {
  const server = track(await start());
  await sleep(1_000);
  return { label, server, memory: { process: label, idleAfterStartMiB: rssMiB(server.child.pid) } };
}

async function setUpTargets(instances: Instance[]): Promise<Target[]> {
  const peer = await instance('bare Fastify peer', () =>
    startPeer({ name: 'peer', workDir, cpus: SERVER_CPUS, outputFile: join(workDir, 'peer.log') }),
  );
  instances.push(peer);
  // Ids shaped like the service's (UUIDv7 text); the peer echoes them.
  const peerIds = Array.from({ length: 64 }, (_, i) => `01936f0e-8c3a-7cc4-9a52-${String(i).padStart(12, '0')}`);
  const targets: Target[] = [{ name: BARE, server: peer.server, kind: getKind(peerIds) }];

  const sqliteDsn = `sqlite:${join(workDir, 'bench.sqlite')}`;
  const sqlite = await instance('users (SQLite)', () => startUsers(usersOptions('users-sqlite', sqliteDsn, 'warn')));
  instances.push(sqlite);
  const ids = await seedUsers(sqlite.server.url, settings.users);
  log(`seeded ${ids.length} users on SQLite`);
  // A second process on the same file, with info-level (access) logs to a file: the cost of logging.
  const logged = await instance('users (SQLite, log level info)', () =>
    startUsers(usersOptions('users-sqlite-info', sqliteDsn, 'info', join(workDir, 'users-info.log'))),
  );
  instances.push(logged);
  targets.push(
    { name: GET_SQLITE, server: sqlite.server, kind: getKind(ids) },
    { name: 'users POST /users, SQLite', server: sqlite.server, kind: postKind('sqlite') },
    { name: 'users GET /users/:id, SQLite, access log info → file', server: logged.server, kind: getKind(ids) },
  );

  if (!flags['skip-postgres']) {
    try {
      postgres = await startBenchPostgres(log);
      const pgDsn = postgres.dsn;
      const pg = await instance('users (PostgreSQL)', () => startUsers(usersOptions('users-postgres', pgDsn, 'warn')));
      instances.push(pg);
      const pgIds = await seedUsers(pg.server.url, settings.users);
      log(`seeded ${pgIds.length} users on PostgreSQL`);
      targets.push(
        { name: 'users GET /users/:id, PostgreSQL', server: pg.server, kind: getKind(pgIds) },
        { name: 'users POST /users, PostgreSQL', server: pg.server, kind: postKind('pg') },
      );
    } catch (error) {
      log(`PostgreSQL part failed: ${(error as Error).message}`);
    }
  }
  return targets;
}

async function runRounds(targets: Target[]): Promise<LoadRow[]> {
  const rows: LoadRow[] = targets.map((target) => ({ target: target.name, runs: [], errors: [] }));
  for (let round = 0; round < settings.rounds; round++) {
    log(`round ${round + 1}/${settings.rounds} (${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per target)`);
    for (const [i, target] of targets.entries()) {
      const row = rows[i]!;
      try {
        row.runs.push(await load(target.name, target.server, target.kind));
      } catch (error) {
        row.runs.push(undefined);
        row.errors.push((error as Error).message);
        log(`  ${target.name}: failed: ${(error as Error).message}`);
      }
    }
  }
  return rows;
}

function profileIn(dir: string): string {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile was written to ${dir}`);
  return join(dir, file);
}

/** Two CPU profiles of users on SQLite: one cold start, and one GET load over its measured window only. */
async function profiles(ids: string[]): Promise<string> {
  const startDir = join(workDir, 'profile-start');
  const cold = track(
    await startUsers({
      ...usersOptions('users-profiled-start', `sqlite:${join(workDir, 'profiled-cold.sqlite')}`, 'warn'),
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', startDir],
    }),
  );
  await stop(cold);
  const loadDir = join(workDir, 'profile-load');
  const users = track(
    await startUsers({
      ...usersOptions('users-profiled-load', `sqlite:${join(workDir, 'bench.sqlite')}`, 'warn'),
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', loadDir],
    }),
  );
  log('profiling GET /users/:id on SQLite');
  const result = await load('users GET /users/:id, SQLite, under --cpu-prof', users, getKind(ids));
  await stop(users);
  return [
    'CPU profile of one users cold start (spawn → /readyz 200, SQLite, --cpu-prof):',
    renderProfile(summariseProfile(profileIn(startDir), 15)),
    '',
    `CPU profile of users GET /users/:id on SQLite, measured window only (${result.requestsPerSecond.toFixed(0)} req/s, ${result.serverCpuMicrosPerRequest.toFixed(0)} CPU µs/req under the profiler):`,
    renderProfile(summariseProfile(profileIn(loadDir), 25, result.windowMicros)),
  ].join('\n');
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  log(`work dir ${workDir}; servers on CPU ${SERVER_CPUS ?? 'any'}, load generator on CPU ${LOAD_CPUS ?? 'any'}`);
  const cold = await coldStarts();
  const instances: Instance[] = [];
  const targets = await setUpTargets(instances);
  const rows = await runRounds(targets);
  await sleep(2_000);
  for (const inst of instances) inst.memory.afterLoadMiB = rssMiB(inst.server.child.pid);
  const getTarget = targets.find((t) => t.name === GET_SQLITE);
  await stopEverything();
  const profile = flags.profile && getTarget?.kind.type === 'get' ? await profiles(getTarget.kind.ids) : undefined;
  const loadAfter = loadavg();

  const getRow = rows.find((row) => row.target === GET_SQLITE);
  const sqliteMemory = instances.find((inst) => inst.label === 'users (SQLite)')?.memory;
  const targetFigures = {
    getSqliteRatio: {
      value: getRow ? ratioToBare(rows, getRow, 'rps') : Number.NaN,
      cpuValue: getRow ? ratioToBare(rows, getRow, 'cpu') : Number.NaN,
      min: TARGETS.getSqliteRatio,
    },
    coldStartMs: { value: median(cold.usersMs), max: TARGETS.coldStartMs },
    idleRssMiB: { value: sqliteMemory?.idleAfterStartMiB ?? Number.NaN, max: TARGETS.idleRssMiB },
  };
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadBefore[0]!.toFixed(1)} at start, ${loadAfter[0]!.toFixed(1)} at end`;
  const out = [
    `users-service benchmark, ${startedAt.toISOString()}`,
    machine,
    `autocannon: ${settings.connections} connections, pipelining ${settings.pipelining}; ${settings.rounds} rounds × every target × (${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s measured); figures are medians over rounds; ` +
      `${settings.users} seeded users; servers ${SERVER_CPUS === undefined ? 'unpinned' : `pinned to CPU ${SERVER_CPUS}`}, load generator ${LOAD_CPUS === undefined ? 'unpinned' : `pinned to CPU ${LOAD_CPUS}`}; access logs off (level warn) unless the row says otherwise`,
    '',
    renderLoadTable(rows),
    '',
    renderColdStarts(cold),
    '',
    renderMemory(instances.map((inst) => inst.memory)),
    '',
    renderTargets(targetFigures),
    ...(profile === undefined ? [] : ['', profile]),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (flags.json !== undefined) {
    writeFileSync(
      flags.json,
      JSON.stringify({ startedAt, machine, settings, rows, cold, memory: instances.map((i) => i.memory), targets: targetFigures }, null, 2),
    );
  }
  const infoLog = join(workDir, 'users-info.log');
  if (existsSync(infoLog)) log(`info-level instance wrote ${(statSync(infoLog).size / 1e6).toFixed(1)} MB of log`);
}

try {
  await main();
} finally {
  await stopEverything();
  killAllChildren();
  removeWorkDir();
}
