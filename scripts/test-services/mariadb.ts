// MariaDB 10.11 from Debian's mariadb-server, one private instance per start.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import type { AptNeeds, RunningServer, ServerContext, TestServer } from './types.ts';
import { findOnPath, isRoot } from './lib/paths.ts';
import { launch, runToCompletion } from './lib/proc.ts';
import { waitUntilReady, withFreePorts } from './lib/ready.ts';
import { seconds, stderrLog, type Log } from './lib/log.ts';
import { aptInstall } from './lib/apt.ts';
import { binaryKey, copyFromTemplate } from './lib/template.ts';

const APT_PACKAGE = 'mariadb-server';
const USER = 'flotilla';
const PASSWORD = 'flotilla';
const DATABASE = 'flotilla';

// Runs at every start (mariadbd --init-file), before clients are accepted.
// Tests create a database per file, so the user gets every privilege.
const INIT_SQL = ['%', 'localhost', '127.0.0.1']
  .flatMap((host) => [
    `CREATE USER IF NOT EXISTS '${USER}'@'${host}' IDENTIFIED BY '${PASSWORD}';`,
    `GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'${host}' WITH GRANT OPTION;`,
  ])
  .concat([`CREATE DATABASE IF NOT EXISTS ${DATABASE};`])
  .join('\n');

// A 16 MB redo log instead of 96 MB: the data dir is copied for every start.
const SMALL_FILES = ['--innodb-log-file-size=16M'];
// Bump when the install-db arguments change, so that old templates are not reused.
const TEMPLATE_VERSION = 't1';

export interface MariadbOptions {
  /** Holds data/, the socket and mariadb.log; reuse it to restart with the same data. */
  dir: string;
  port?: number;
  log?: Log;
  readyTimeoutMs?: number;
}

export interface RunningMariadb extends RunningServer {
  /** mysql://flotilla:flotilla@127.0.0.1:PORT/flotilla */
  url: string;
  port: number;
  socket: string;
  dir: string;
  logFile: string;
}

function binaries(): { mariadbd?: string; installDb?: string } {
  return { mariadbd: findOnPath('mariadbd'), installDb: findOnPath('mariadb-install-db') };
}

function missingAptPackages(): string[] {
  const { mariadbd, installDb } = binaries();
  return mariadbd && installDb ? [] : [APT_PACKAGE];
}

async function ping(port: number): Promise<boolean> {
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: DATABASE,
    connectTimeout: 2000,
  });
  try {
    const [rows] = await connection.query('SELECT 1 AS ok');
    return (rows as { ok: number }[])[0]?.ok === 1;
  } finally {
    await connection.end();
  }
}

/** Starts (or restarts, if dir already holds data) a private MariaDB. */
export async function startMariadb(opts: MariadbOptions): Promise<RunningMariadb> {
  const log = opts.log ?? stderrLog;
  const began = Date.now();
  const { mariadbd, installDb } = binaries();
  if (!mariadbd || !installDb) throw new Error(`mariadb: mariadbd or mariadb-install-db not found; install ${APT_PACKAGE}`);
  const dir = resolve(opts.dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'mariadb.log');
  const socket = join(dir, 'mysqld.sock');
  const initFile = join(dir, 'init.sql');
  const asUser = isRoot() ? ['--user=root'] : [];
  mkdirSync(dir, { recursive: true });
  writeFileSync(initFile, INIT_SQL);
  if (!existsSync(join(dataDir, 'mysql'))) {
    await copyFromTemplate({
      name: 'mariadb',
      key: `${TEMPLATE_VERSION}-${binaryKey(mariadbd)}`,
      build: (into) =>
        runToCompletion({
          name: 'mariadb-install-db',
          command: installDb,
          // --no-defaults must come first: /etc/mysql is the system instance's business.
          args: [
            '--no-defaults',
            `--datadir=${into}`,
            '--auth-root-authentication-method=normal',
            '--skip-test-db',
            '--skip-name-resolve',
            ...SMALL_FILES,
            ...asUser,
          ],
          cwd: dir,
          logFile,
        }),
      target: dataDir,
      log,
    });
  }

  return withFreePorts([opts.port], async ([port]) => {
    const proc = launch({
      name: 'mariadb',
      command: mariadbd,
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${socket}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--tmpdir=${dir}`,
        `--init-file=${initFile}`,
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--max-connections=500',
        // Test data is disposable: trade durability for speed.
        '--innodb-flush-log-at-trx-commit=0',
        '--innodb-doublewrite=0',
        '--innodb-buffer-pool-size=128M',
        ...SMALL_FILES,
        ...asUser,
      ],
      cwd: dir,
      logFile,
      stopSignal: 'SIGTERM',
    });
    await waitUntilReady({
      name: 'mariadb',
      process: proc,
      address: `127.0.0.1:${port}`,
      probe: () => ping(port!),
      timeoutMs: opts.readyTimeoutMs,
    });
    const url = `mysql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
    log(`mariadb ready on 127.0.0.1:${port} (${seconds(began)})`);
    return { url, port: port!, socket, dir, logFile, env: { FLOTILLA_TEST_MYSQL_URL: url }, stop: () => proc.stop() };
  });
}

export const mariadbServer: TestServer & AptNeeds = {
  name: 'mariadb',
  missingAptPackages,
  async install(log) {
    await aptInstall(missingAptPackages(), log);
  },
  start: (ctx: ServerContext) => startMariadb({ dir: ctx.dir, log: ctx.log }),
};
