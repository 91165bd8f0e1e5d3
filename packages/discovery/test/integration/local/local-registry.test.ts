/** The local (file) registry and real processes: a kill -9'd process disappears, a restarted one reappears. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { eventually, startServiceProcess, tempDir } from '@flotilla/testing';
import { LocalRegistry } from '../../../src/local/local-registry.ts';
import { entryPath, liveness, readEntry } from '../../../src/local/entry-files.ts';

const child = join(import.meta.dirname, '..', 'fixtures', 'register-child.ts');
const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

function registryDir(): string {
  const dir = tempDir('local-registry');
  dirs.push(dir);
  return dir.path;
}

describe('local registry', () => {
  for (const checkPids of [true, false]) {
    test(`a kill -9'd process disappears within the TTL and a restarted one reappears (${checkPids ? 'pid check' : 'TTL only'})`, async (t) => {
      const dir = registryDir();
      const ttlMs = 2000;
      const env = {
        BACKEND: 'local',
        REGISTRY_DIR: dir,
        SERVICE: 'victim',
        TTL_MS: String(ttlMs),
        HEARTBEAT_MS: '300',
        CHECK_PIDS: checkPids ? '1' : '0',
      };
      const watcher = new LocalRegistry({ dir, namespace: 'test', ttlMs, rescanMs: 200, checkPids });
      const set = watcher.watch('victim');
      const first = await startServiceProcess(child, 'victim-a', { env: { ...process.env, ...env, INSTANCE_ID: 'victim-a' } });
      t.after(() => first.kill9());
      await eventually(() => set.snapshot().some((i) => i.id === 'victim-a'), { message: 'victim-a to be listed' });

      // Its entry as of just before the kill: the last heartbeat the process wrote is no older.
      const seen = await readEntry(entryPath(dir, 'test', { service: 'victim', id: 'victim-a' }));
      assert.ok(seen !== undefined, 'victim-a has an entry file');
      await first.kill9();
      const killedAt = Date.now();
      await eventually(() => set.snapshot().length === 0, { timeoutMs: ttlMs + 3000, message: 'victim-a to disappear' });
      t.diagnostic(`gone ${Date.now() - killedAt} ms after kill -9 (ttl ${ttlMs} ms)`);
      if (!checkPids)
        assert.equal(liveness(seen, Date.now(), false), 'expired', 'without the pid check it stays until its heartbeat is stale');

      const second = await startServiceProcess(child, 'victim-b', { env: { ...process.env, ...env, INSTANCE_ID: 'victim-b' } });
      t.after(() => second.kill9());
      await eventually(
        () =>
          set
            .snapshot()
            .map((i) => i.id)
            .join() === 'victim-b',
        { message: 'the restarted process to reappear' },
      );
      await second.kill9();
      await watcher.close();
    });
  }
});
