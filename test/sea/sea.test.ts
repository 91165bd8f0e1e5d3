/**
 * The users service as a single-file executable (scripts/sea): built from the
 * sources (kept under ~/.cache/flotilla/sea/source and rebuilt only when its
 * inputs change), started with the repository's config, it serves its API
 * from SQLite through the embedded native addon, is ready, and stops cleanly
 * on SIGTERM; as a group of two workers too (`workers: auto` in staging and
 * prod), where cluster forks the executable itself. It starts from a V8
 * start-up snapshot: what is each process's own (pid, host, instance id, new
 * ids, start time) is, and never the build's.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configDir, eventually, type TempDir, tempDir } from '@flotilla/testing';
import { buildSea } from '../../scripts/sea/build.ts';

/** The parent's environment without its Flotilla settings and Node options: the executable sees only what the test sets. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FLOTILLA_') && name !== 'NODE_OPTIONS'));
}

interface Running {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** The exit code and signal, once it has exited and its output is all read. */
  closed: Promise<[number | null, NodeJS.Signals | null]>;
}

function start(executable: string, home: string, env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(executable, [], {
    env: {
      ...cleanEnv(),
      FLOTILLA_CONFIG_DIR: configDir,
      FLOTILLA_ENV: 'dev',
      FLOTILLA_HOME: home,
      FLOTILLA_USERS__HTTP__PORT: '0',
      FLOTILLA_USERS__GRPC__PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, output: () => ({ stdout, stderr }), closed };
}

/** The first match of `pattern` in its output, once there; fails as soon as it exits. */
function waitForLine(running: Running, pattern: RegExp, what: string): Promise<string> {
  return eventually(
    () => {
      const { stdout, stderr } = running.output();
      assert.equal(running.child.exitCode, null, `the executable exited (${running.child.exitCode}):\n${stderr}\n${stdout}`);
      return pattern.exec(stdout)?.[1];
    },
    { timeoutMs: 30_000, message: what },
  );
}

async function createAndRead(url: string, name: string, email: string): Promise<void> {
  const created = await fetch(`${url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, email }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const user = (await created.json()) as { id: string; name: string; email: string };
  assert.equal(user.name, name);
  const read = await fetch(`${url}/users/${user.id}`);
  assert.equal(read.status, 200);
  assert.deepEqual(await read.json(), user);
}

/** SIGTERM (unless it has gone already), then its exit: code 0, no signal. */
async function stop(running: Running): Promise<string> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM');
  const [code, signal] = await running.closed;
  const { stdout, stderr } = running.output();
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
  return stdout;
}

describe('users as a single executable', { timeout: 180_000 }, () => {
  let home: TempDir;
  let executable: string;

  before(async () => {
    home = tempDir('sea-users');
    ({ path: executable } = await buildSea('users', 'source'));
  });
  after(() => home.remove());

  test('starts from the repository config, serves POST and GET /users, is ready, exits 0 on SIGTERM', async () => {
    const running = start(executable, home.path);
    try {
      const url = await waitForLine(running, /users ready on (http:\/\/[^"\s]+)/, 'the "users ready on <url>" line');
      await createAndRead(url, 'Grace Hopper', 'grace@example.com');
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200, await ready.clone().text());
      assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok' } });
    } finally {
      assert.match(await stop(running), /users stopped/);
    }
  });

  test('two workers: cluster forks the executable, each fork serves as a worker, SIGTERM stops the group with 0', async () => {
    const running = start(executable, home.path, { FLOTILLA_USERS__WORKERS: '2' });
    let stdout: string;
    try {
      const url = await waitForLine(running, /users group ready: 2 workers on (http:\/\/[^"\s]+)/, 'the "users group ready" line');
      for (let i = 0; i < 6; i++) await createAndRead(url, `Worker ${i}`, `worker-${i}@example.com`);
    } finally {
      stdout = await stop(running);
    }
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { message?: string; 'process.pid'?: number });
    const pids = (pattern: RegExp) => new Set(lines.filter((l) => pattern.test(l.message ?? '')).map((l) => l['process.pid']));
    // One primary, and two forks that started the service as workers, not as primaries of their own.
    assert.equal(pids(/^users starting 2 workers$/).size, 1);
    const workers = pids(/^users ready on /);
    assert.equal(workers.size, 2);
    assert.ok(![...workers].some((pid) => pids(/^users starting 2 workers$/).has(pid)), 'a worker ran as a primary');
    assert.equal(pids(/^users stopped$/).size, 2, 'both workers drained and stopped');
  });

  // The executable starts from a V8 start-up snapshot (scripts/sea/snapshot.ts): nothing of the build may be frozen in it.
  test('each start is a process of its own: pid, host, instance id, new ids and start time are not the snapshot build’s', async () => {
    const testStartedAt = Math.floor(Date.now() / 1000);
    const starts: { userId: string; instance: string | undefined; pids: Set<unknown>; hosts: Set<unknown>; startTime: number }[] = [];
    for (const name of ['first', 'second']) {
      const running = start(executable, join(home.path, name));
      let stdout: string;
      let userId: string;
      let startTime: number;
      try {
        const url = await waitForLine(running, /users ready on (http:\/\/[^"\s]+)/, 'the "users ready on <url>" line');
        const created = await fetch(`${url}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
        });
        assert.equal(created.status, 201, await created.clone().text());
        userId = ((await created.json()) as { id: string }).id;
        const metrics = await (await fetch(`${url}/metrics`)).text();
        startTime = Number(/^process_start_time_seconds (\d+)$/m.exec(metrics)?.[1]);
      } finally {
        stdout = await stop(running);
      }
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      starts.push({
        userId,
        instance: /registered (\S+) in the local registry/.exec(stdout)?.[1],
        pids: new Set(lines.map((line) => line['process.pid'])),
        hosts: new Set(lines.map((line) => line['host.hostname'])),
        startTime,
      });
    }
    const [first, second] = starts as [(typeof starts)[number], (typeof starts)[number]];
    assert.notEqual(first.userId, second.userId);
    assert.ok(first.instance !== undefined && second.instance !== undefined, 'both registered an instance');
    assert.notEqual(first.instance, second.instance);
    // Every line names the process that wrote it and the host it runs on.
    assert.equal(first.pids.size, 1);
    assert.notDeepEqual(first.pids, second.pids);
    assert.deepEqual([...first.hosts, ...second.hosts], [hostname(), hostname()]);
    // The process's own clock, not the build's: it started no earlier than this test.
    assert.ok(first.startTime >= testStartedAt - 1, `process_start_time_seconds ${first.startTime} is before the test started`);
  });
});
