/** What only the file backend does: adopting hand edits of the working copy, and its lock file. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigConflictError, FileConfigStore, type ConfigChange } from '@flotilla/config';
import { eventually } from '@flotilla/testing';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-file-centre-'));
const configDir = join(dir, 'config');
const home = join(dir, 'home');
const store = new FileConfigStore({ configDir, home, pollIntervalMs: 100, lockTimeoutMs: 2_000 });
after(() => rmSync(dir, { recursive: true, force: true }));

test('an existing config file becomes version 1; a hand edit becomes a version of its own', async () => {
  mkdirSync(join(configDir, 'dev'), { recursive: true });
  writeFileSync(join(configDir, 'dev', 'users.yaml'), 'log:\n  level: info\n');
  const first = await store.get('dev', 'users');
  assert.equal(first.version, 1);
  assert.equal(first.author, '(edited outside flotilla)');

  writeFileSync(join(configDir, 'dev', 'users.yaml'), 'log:\n  level: warn\n');
  // A writer that read version 1 before the hand edit must not overwrite it.
  await assert.rejects(store.set('dev', 'users', 'log:\n  level: debug\n', { expectedVersion: 1 }), ConfigConflictError);
  const history = await store.history('dev', 'users');
  assert.deepEqual(
    history.map((h) => h.version),
    [1, 2],
  );
  assert.equal((await store.get('dev', 'users', 2)).text, 'log:\n  level: warn\n');
  await store.set('dev', 'users', 'log:\n  level: debug\n', { expectedVersion: 2 });
  assert.equal(readFileSync(join(configDir, 'dev', 'users.yaml'), 'utf8'), 'log:\n  level: debug\n');
});

test('a watcher sees a hand edit, without a version until it is recorded', async () => {
  await store.set('dev', 'orders', 'a: 1\n', { expectedVersion: 0 });
  const seen: ConfigChange[] = [];
  const watch = await store.watch('dev', 'orders', (c) => seen.push(c));
  try {
    writeFileSync(join(configDir, 'dev', 'orders.yaml'), 'a: 2\n');
    await eventually(() => seen.length > 0, { timeoutMs: 5_000, message: 'the hand edit' });
    assert.deepEqual(
      seen.map((c) => [c.version, c.text]),
      [[undefined, 'a: 2\n']],
    );
    assert.equal((await store.current('dev', 'orders'))?.version, undefined);
    assert.equal(await store.head('dev', 'orders'), 2);
    assert.equal((await store.current('dev', 'orders'))?.version, 2);
  } finally {
    await watch.close();
  }
});

test('a lock left by a dead process is taken over; a live one makes writers wait and then fail as unavailable', async () => {
  const lock = join(home, 'config-history', 'dev', 'locked', '.lock');
  mkdirSync(join(home, 'config-history', 'dev', 'locked'), { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(lock, `${dead} ${hostname()}\n`);
  assert.equal((await store.set('dev', 'locked', 'a: 1\n', { expectedVersion: 0 })).version, 1);

  writeFileSync(lock, `${process.ppid} ${hostname()}\n`); // a live process holds it
  await assert.rejects(
    store.set('dev', 'locked', 'a: 2\n', { expectedVersion: 1 }),
    (error: Error & { code?: string }) => error.code === 'unavailable' && /lock/.test(error.message),
  );
  rmSync(lock);
  assert.equal((await store.set('dev', 'locked', 'a: 2\n', { expectedVersion: 1 })).version, 2);
});
