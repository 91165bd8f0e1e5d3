/**
 * The users service as a single-file executable (scripts/sea): built from the
 * sources (kept under ~/.cache/flotilla/sea/source and rebuilt only when its
 * inputs change), started with the repository's config, it serves its API
 * from SQLite through the embedded native addon, is ready, and stops cleanly
 * on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { configDir, eventually, type TempDir, tempDir } from '@flotilla/testing';
import { buildSea } from '../../scripts/sea/build.ts';

/** The parent's environment without its Flotilla settings and Node options: the executable sees only what the test sets. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FLOTILLA_') && name !== 'NODE_OPTIONS'));
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
    const child = spawn(executable, [], {
      env: {
        ...cleanEnv(),
        FLOTILLA_CONFIG_DIR: configDir,
        FLOTILLA_ENV: 'dev',
        FLOTILLA_HOME: home.path,
        FLOTILLA_USERS__HTTP__PORT: '0',
        FLOTILLA_USERS__GRPC__PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // 'close': the exit code and everything it wrote.
    const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      const url = await eventually(
        () => {
          assert.equal(child.exitCode, null, `the executable exited (${child.exitCode}):\n${stderr}\n${stdout}`);
          return /users ready on (http:\/\/[^"\s]+)/.exec(stdout)?.[1];
        },
        { timeoutMs: 30_000, message: 'the "users ready on <url>" line' },
      );

      const created = await fetch(`${url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com' }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const user = (await created.json()) as { id: string; name: string; email: string };
      assert.equal(user.name, 'Grace Hopper');

      const read = await fetch(`${url}/users/${user.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(await read.json(), user);

      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200, await ready.clone().text());
      assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok' } });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    const [code, signal] = await closed;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    assert.match(stdout, /users stopped/);
  });
});
