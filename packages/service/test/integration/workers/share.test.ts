/** A group of workers behind one port: both serve, one instance in the registry, bad config stops the group. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, startServiceProcess, tempDir } from '@flotilla/testing';
import { CREW, freshGet, startGroup } from './support.ts';

test('two workers share the port and both serve; the group registers as one instance', async (t) => {
  const group = await startGroup(CREW, 'crew', 2);
  t.after(() => group.destroy());
  const workers = group.workers();
  assert.equal(workers.size, 2);
  const served = new Set<number>();
  // The primary hands each new connection to the next worker.
  await eventually(
    async () => {
      const answer = await freshGet(`${group.url}/whoami`);
      assert.equal(answer.status, 200);
      served.add((JSON.parse(answer.body) as { pid: number }).pid);
      return served.size === 2;
    },
    { message: 'answers from both workers' },
  );
  assert.deepEqual([...served].sort(), [...workers.values()].sort());

  const folder = join(group.home.path, 'registry', 'dev', 'crew');
  const entries = readdirSync(folder).map((file) => JSON.parse(readFileSync(join(folder, file), 'utf8')) as Record<string, unknown>);
  assert.equal(entries.length, 1, 'one registration for the group, made by the primary');
  assert.equal(JSON.stringify(entries[0]).includes(String(group.svc.process.pid)), true, 'registered under the primary');

  assert.equal(await group.svc.stop(), 0);
});

test('a worker that cannot start stops the group with its exit code (78: bad config)', async () => {
  const home = tempDir('workers');
  try {
    // `http.port` passes the primary's shared keys but not the service's own schema in the workers.
    await assert.rejects(
      startServiceProcess(CREW, 'crew', {
        cwd: home.path,
        env: {
          ...process.env,
          FLOTILLA_CONFIG_DIR: '/nonexistent',
          FLOTILLA_HOME: home.path,
          FLOTILLA_CREW__WORKERS: '2',
          FLOTILLA_CREW__NOT_A_KEY: 'x',
        },
      }),
      (error: Error) => {
        assert.match(error.message, /crew exited \(78\)/);
        assert.match(error.message, /notAKey = "x": is not a known field/);
        assert.match(error.message, /crew failed to start: worker \d exited before it was ready \(exit code 78\)/);
        return true;
      },
    );
  } finally {
    home.remove();
  }
});

test('workers must be an integer of at least 1, or auto', async () => {
  const home = tempDir('workers');
  try {
    await assert.rejects(
      startServiceProcess(CREW, 'crew', {
        cwd: home.path,
        env: { ...process.env, FLOTILLA_CONFIG_DIR: '/nonexistent', FLOTILLA_HOME: home.path, FLOTILLA_CREW__WORKERS: '0' },
      }),
      (error: Error) => /crew exited \(78\)/.test(error.message) && /workers = "0"/.test(error.message),
    );
  } finally {
    home.remove();
  }
});
