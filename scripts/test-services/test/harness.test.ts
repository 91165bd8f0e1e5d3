// Starts every server through the public functions and proves it does real
// work, that stop() frees its port, and that data survives a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { Etcd3 } from 'etcd3';
import {
  installServices,
  isPortFree,
  ServerStartError,
  startEtcd,
  startMariadb,
  startPostgres,
  startPrometheus,
  startRedis,
  startServices,
} from '../index.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
let scratch: string;

before(async () => {
  await installServices();
  scratch = mkdtempSync(join(tmpdir(), 'flotilla-harness-test-'));
});

after(() => rmSync(scratch, { recursive: true, force: true }));

async function pgQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('postgres', () => {
  test('answers queries, frees its port on stop, keeps data across a restart', async () => {
    const dir = join(scratch, 'pg');
    const first = await startPostgres({ dir });
    assert.match(first.url, /^postgres:\/\/flotilla:flotilla@127\.0\.0\.1:\d+\/flotilla$/);
    assert.equal(first.env.FLOTILLA_TEST_POSTGRES_URL, first.url);
    await pgQuery(first.url, 'CREATE TABLE t (id int primary key, name text)');
    await pgQuery(first.url, "INSERT INTO t VALUES (1, 'one')");
    const superuser = await pgQuery(first.url, 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    assert.equal(superuser.rows[0].rolsuper, true);
    await first.stop();
    assert.equal(await isPortFree(first.port), true);

    const second = await startPostgres({ dir, port: first.port });
    try {
      const rows = await pgQuery(second.url, 'SELECT name FROM t WHERE id = 1');
      assert.deepEqual(rows.rows, [{ name: 'one' }]);
    } finally {
      await second.stop();
    }
  });

  test('rejects a wrong password', async () => {
    const server = await startPostgres({ dir: join(scratch, 'pg-auth') });
    try {
      await assert.rejects(pgQuery(server.url.replace('flotilla:flotilla@', 'flotilla:wrong@'), 'SELECT 1'), /password/);
    } finally {
      await server.stop();
    }
  });
});

describe('mariadb', () => {
  test('lets the flotilla user create its own database and frees its port on stop', async () => {
    const server = await startMariadb({ dir: join(scratch, 'mariadb') });
    assert.match(server.url, /^mysql:\/\/flotilla:flotilla@127\.0\.0\.1:\d+\/flotilla$/);
    assert.equal(server.env.FLOTILLA_TEST_MYSQL_URL, server.url);
    const connection = await mysql.createConnection(server.url);
    try {
      await connection.query('CREATE DATABASE per_test_file');
      await connection.query('CREATE TABLE per_test_file.t (id INT PRIMARY KEY, name VARCHAR(20))');
      await connection.query("INSERT INTO per_test_file.t VALUES (1, 'één')");
      const [rows] = await connection.query('SELECT name FROM per_test_file.t');
      assert.deepEqual(rows, [{ name: 'één' }]);
      await connection.query("CREATE USER 'other'@'%' IDENTIFIED BY 'x'");
      await connection.query("GRANT SELECT ON per_test_file.* TO 'other'@'%'"); // proves WITH GRANT OPTION
    } finally {
      await connection.end();
    }
    await server.stop();
    assert.equal(await isPortFree(server.port), true);
  });
});

describe('redis', () => {
  test('stores and reads a key, frees its port on stop, exports its binary', async () => {
    const server = await startRedis({ dir: join(scratch, 'redis') });
    assert.equal(server.env.FLOTILLA_TEST_REDIS_URL, `redis://127.0.0.1:${server.port}`);
    const { stdout } = await run(server.env.FLOTILLA_TEST_REDIS_BIN!, ['--version']);
    assert.match(stdout, /Redis server v=7\./);
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      await client.set('greeting', 'hello');
      assert.equal(await client.get('greeting'), 'hello');
    } finally {
      client.disconnect();
    }
    await server.stop();
    assert.equal(await isPortFree(server.port), true);
  });

  test('a server that cannot start fails with its name and the end of its log', async () => {
    await assert.rejects(startRedis({ dir: join(scratch, 'redis-bad'), args: ['--no-such-directive', 'x'] }), (error: unknown) => {
      assert.ok(error instanceof ServerStartError);
      assert.match(error.message, /^redis on 127\.0\.0\.1:\d+ exited before it was ready/);
      assert.match(error.message, /Bad directive/);
      return true;
    });
  });
});

describe('etcd', () => {
  test('keeps its data when stopped and started again on the same dir, and a running client reconnects', async () => {
    const dir = join(scratch, 'etcd');
    const first = await startEtcd({ dir });
    assert.equal(first.env.FLOTILLA_TEST_ETCD_ENDPOINTS, first.endpoint);
    const { stdout } = await run(first.env.FLOTILLA_TEST_ETCD_BIN!, ['--version']);
    assert.match(stdout, /etcd Version: 3\.5\./);
    const client = new Etcd3({ hosts: first.endpoint });
    try {
      await client.put('flotilla/key').value('kept');
      assert.equal(await client.get('flotilla/key').string(), 'kept');
      await first.stop();
      assert.equal(await isPortFree(first.clientPort), true);
      assert.equal(await isPortFree(first.peerPort), true);

      const second = await startEtcd({ dir, clientPort: first.clientPort, peerPort: first.peerPort });
      try {
        // The client made before the restart is reused; gRPC reconnects on its own.
        let value: string | null = null;
        for (let attempt = 0; attempt < 20 && value === null; attempt++) {
          try {
            value = await client.get('flotilla/key').string();
          } catch {
            await new Promise((r) => setTimeout(r, 250));
          }
        }
        assert.equal(value, 'kept');
      } finally {
        await second.stop();
      }
    } finally {
      client.close();
    }
  });
});

describe('prometheus', () => {
  test('prometheus and promtool run, and a private prometheus serves its own config', async () => {
    const installOnly = await startServices({ only: ['prometheus'] });
    await installOnly.stop();
    assert.equal(existsSync(installOnly.dir), false);
    const env = installOnly.env;
    const { stdout: version } = await run(env.FLOTILLA_TEST_PROMETHEUS_BIN!, ['--version']);
    assert.match(version, /prometheus, version 2\./);

    const dir = join(scratch, 'prometheus');
    const good = join(scratch, 'prometheus-good.yml');
    writeFileSync(good, 'scrape_configs:\n  - job_name: flotilla-harness\n    static_configs:\n      - targets: ["127.0.0.1:1"]\n');
    const bad = join(scratch, 'prometheus-bad.yml');
    writeFileSync(bad, 'scrape_configs:\n  - job_name: [not, a, string]\n');
    const promtool = env.FLOTILLA_TEST_PROMTOOL_BIN!;
    await run(promtool, ['check', 'config', good]);
    await assert.rejects(run(promtool, ['check', 'config', bad]));

    const server = await startPrometheus({ configFile: good, dir });
    try {
      const response = await fetch(`${server.url}/api/v1/status/config`);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /flotilla-harness/);
    } finally {
      await server.stop();
    }
    assert.equal(await isPortFree(server.port), true);
  });
});

describe('nginx', () => {
  test('is installed and runs', async () => {
    const { env, stop } = await startServices({ only: ['nginx'] });
    await stop();
    const { stderr } = await run(env.FLOTILLA_TEST_NGINX_BIN!, ['-v']);
    assert.match(stderr, /nginx version: nginx\/1\./);
  });
});

describe('startServices', () => {
  // Every server but the Kubernetes control plane, which the operator suites exercise in full.
  test('starts the servers in one temp dir, exports every variable, and stop() cleans up', async () => {
    const services = await startServices({ only: ['postgres', 'mariadb', 'redis', 'etcd', 'prometheus', 'nginx'] });
    let stopped = false;
    try {
      assert.deepEqual(Object.keys(services.env).sort(), [
        'FLOTILLA_TEST_ETCD_BIN',
        'FLOTILLA_TEST_ETCD_ENDPOINTS',
        'FLOTILLA_TEST_MYSQL_URL',
        'FLOTILLA_TEST_NGINX_BIN',
        'FLOTILLA_TEST_POSTGRES_URL',
        'FLOTILLA_TEST_PROMETHEUS_BIN',
        'FLOTILLA_TEST_PROMTOOL_BIN',
        'FLOTILLA_TEST_REDIS_BIN',
        'FLOTILLA_TEST_REDIS_URL',
      ]);
      assert.deepEqual((await pgQuery(services.env.FLOTILLA_TEST_POSTGRES_URL!, 'SELECT 1 AS ok')).rows, [{ ok: 1 }]);
      const health = await fetch(`${services.env.FLOTILLA_TEST_ETCD_ENDPOINTS}/health`);
      assert.equal(health.status, 200);
      const ports = [
        'FLOTILLA_TEST_POSTGRES_URL',
        'FLOTILLA_TEST_MYSQL_URL',
        'FLOTILLA_TEST_REDIS_URL',
        'FLOTILLA_TEST_ETCD_ENDPOINTS',
      ].map((key) => Number(new URL(services.env[key]!).port));
      await services.stop();
      stopped = true;
      assert.equal(existsSync(services.dir), false);
      for (const port of ports) assert.equal(await isPortFree(port), true, `port ${port} still taken`);
    } finally {
      if (!stopped) await services.stop();
    }
  });

  test('names the unknown server it was asked for', async () => {
    await assert.rejects(startServices({ only: ['redis', 'nosuch'] }), /unknown server\(s\) nosuch; known: postgres, mariadb/);
  });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    // 'close', not 'exit': by then all of stdout and stderr has been read.
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cli', () => {
  test('run gives the command the env, returns its exit code, and stops the servers', async () => {
    const result = await cli([
      'run',
      '--only',
      'redis',
      '--',
      process.execPath,
      '-e',
      'console.log(process.env.FLOTILLA_TEST_REDIS_URL); process.exit(7)',
    ]);
    assert.equal(result.code, 7, result.stderr);
    const url = result.stdout.trim();
    assert.match(url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await isPortFree(Number(new URL(url).port)), true);
  });

  test('start leaves servers running for the shell, stop ends them', async () => {
    const state = join(scratch, 'cli-state');
    const started = await cli(['start', '--only', 'redis', '--state', state]);
    assert.equal(started.code, 0, started.stderr);
    const exported = /^export FLOTILLA_TEST_REDIS_URL='(redis:\/\/127\.0\.0\.1:(\d+))'$/m.exec(started.stdout);
    assert.ok(exported, started.stdout);
    const env = JSON.parse(readFileSync(join(state, 'env.json'), 'utf8')) as Record<string, string>;
    assert.equal(env.FLOTILLA_TEST_REDIS_URL, exported[1]);
    const client = new Redis(exported[1]!, { maxRetriesPerRequest: 1 });
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
    const stopped = await cli(['stop', '--state', state]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(await isPortFree(Number(exported[2])), true);
    assert.equal(existsSync(join(state, 'env.json')), false);
  });

  test('rejects a command it does not know with usage and exit code 2', async () => {
    const result = await cli(['launch']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command launch\nusage:/);
  });
});
