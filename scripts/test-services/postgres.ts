// PostgreSQL 15 from Debian's postgresql-15, one private cluster per start.
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import pg from 'pg';
import type { AptNeeds, RunningServer, ServerContext, TestServer } from './types.ts';
import { isExecutable, isRoot } from './lib/paths.ts';
import { launch, runToCompletion } from './lib/proc.ts';
import { waitUntilReady, withFreePorts } from './lib/ready.ts';
import { lookupUser } from './lib/users.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';
import { aptInstall } from './lib/apt.ts';
import { binaryKey, copyFromTemplate } from './lib/template.ts';

export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
const APT_PACKAGE = 'postgresql-15';
const SYSTEM_USER = 'postgres';
const USER = 'flotilla';
const PASSWORD = 'flotilla';
const DATABASE = 'flotilla';

export interface PostgresOptions {
  /** Holds data/, the socket and postgres.log; reuse it to restart with the same data. */
  dir: string;
  /** Defaults to a free port. */
  port?: number;
  log?: Log;
  readyTimeoutMs?: number;
}

export interface RunningPostgres extends RunningServer {
  /** postgres://flotilla:flotilla@127.0.0.1:PORT/flotilla */
  url: string;
  port: number;
  dir: string;
  logFile: string;
}

function missingAptPackages(): string[] {
  const ok = ['postgres', 'initdb'].every((b) => isExecutable(join(POSTGRES_BIN_DIR, b))) && lookupUser(SYSTEM_USER) !== undefined;
  return ok ? [] : [APT_PACKAGE];
}

/** postgres runs as the `postgres` user when we are root: it must own dir and reach it. */
function prepareDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (!isRoot()) return;
  const user = lookupUser(SYSTEM_USER);
  if (!user) throw new Error(`postgres: system user '${SYSTEM_USER}' is missing; is ${APT_PACKAGE} installed?`);
  const owner = statSync(dir);
  if (owner.uid !== user.uid) chownSync(dir, user.uid, user.gid);
  const tmp = resolve(tmpdir()) + sep;
  for (let parent = dirname(resolve(dir)); parent !== dirname(parent); parent = dirname(parent)) {
    const mode = statSync(parent).mode;
    if ((mode & 0o001) !== 0) continue;
    if ((parent + sep).startsWith(tmp) && parent + sep !== tmp) {
      chmodSync(parent, mode | 0o011);
    } else {
      throw new Error(`postgres: ${parent} is not searchable by the '${SYSTEM_USER}' user, so it cannot reach ${dir}`);
    }
  }
}

async function initdb(dataDir: string, logFile: string): Promise<void> {
  const dir = dirname(dataDir);
  const pwFile = join(dir, 'initdb.pw');
  writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  const user = isRoot() ? lookupUser(SYSTEM_USER) : undefined;
  if (user) chownSync(pwFile, user.uid, user.gid);
  try {
    await runToCompletion({
      name: 'postgres initdb',
      command: join(POSTGRES_BIN_DIR, 'initdb'),
      args: [
        '-D',
        dataDir,
        '-U',
        USER,
        `--pwfile=${pwFile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      cwd: dir,
      logFile,
      runAsUser: SYSTEM_USER,
    });
  } finally {
    rmSync(pwFile, { force: true });
  }
}

async function query(port: number, database: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Starts (or restarts, if dir already holds a cluster) a private PostgreSQL. */
export async function startPostgres(opts: PostgresOptions): Promise<RunningPostgres> {
  const log = opts.log ?? stderrLog;
  const began = Date.now();
  const dir = resolve(opts.dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  prepareDir(dir);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await copyFromTemplate({
      name: 'postgres-15',
      key: binaryKey(join(POSTGRES_BIN_DIR, 'postgres')),
      build: async (into) => {
        prepareDir(dirname(into));
        prepareDir(into);
        await initdb(into, logFile);
      },
      target: dataDir,
      log,
    });
  }

  return withFreePorts([opts.port], async ([port]) => {
    const proc = launch({
      name: 'postgres',
      command: join(POSTGRES_BIN_DIR, 'postgres'),
      args: [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        // Test data is disposable: trade durability for speed.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'logging_collector=off',
      ],
      cwd: dir,
      logFile,
      runAsUser: SYSTEM_USER,
      stopSignal: 'SIGINT', // "fast" shutdown: does not wait for clients to leave
    });
    await waitUntilReady({
      name: 'postgres',
      process: proc,
      address: `127.0.0.1:${port}`,
      probe: async () => (await query(port!, 'postgres', 'SELECT 1 AS ok')).rows[0]?.ok === 1,
      timeoutMs: opts.readyTimeoutMs,
    });
    try {
      const exists = await query(port!, 'postgres', 'SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (exists.rowCount === 0) await query(port!, 'postgres', `CREATE DATABASE ${DATABASE}`);
    } catch (error) {
      await proc.stop();
      throw error;
    }
    const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
    log(`postgres ready on 127.0.0.1:${port} (${seconds(began)})`);
    return { url, port: port!, dir, logFile, env: { FLOTILLA_TEST_POSTGRES_URL: url }, stop: () => proc.stop() };
  });
}

export const postgresServer: TestServer & AptNeeds = {
  name: 'postgres',
  missingAptPackages,
  async install(log) {
    await aptInstall(missingAptPackages(), log);
  },
  start: (ctx: ServerContext) => startPostgres({ dir: ctx.dir, log: ctx.log }),
};
