/**
 * Both config-centre backends for parameterised suites. etcd comes from
 * FLOTILLA_TEST_ETCD_ENDPOINTS (scripts/test-services); under `npm test`
 * (FLOTILLA_TEST_REQUIRE_SERVICES=1) a missing endpoint fails the suite, in a
 * quick local run the etcd half is skipped with a note on stderr.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdConfigStore, FileConfigStore, type ConfigStore } from '@flotilla/kit/config';

export type BackendName = 'file' | 'etcd';

export function testBackends(): BackendName[] {
  if (process.env.FLOTILLA_TEST_ETCD_ENDPOINTS) return ['file', 'etcd'];
  if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1') throw new Error('FLOTILLA_TEST_ETCD_ENDPOINTS is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start etcd (scripts/test-services)');
  process.stderr.write('[test] config centre: skipping the etcd backend (FLOTILLA_TEST_ETCD_ENDPOINTS not set)\n');
  return ['file'];
}

export interface TestStore {
  store: ConfigStore;
  /** Opens a second, independent client on the same data (another process's view). */
  another(): Promise<ConfigStore>;
  dir: string;
  prefix: string;
  cleanup(): Promise<void>;
}

/** A fresh, empty centre: a temp folder, or a random etcd prefix. */
export async function createTestStore(backend: BackendName): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-centre-'));
  const prefix = `/flotilla-test-${randomBytes(5).toString('hex')}/config`;
  const open = async (): Promise<ConfigStore> =>
    backend === 'file'
      ? new FileConfigStore({ configDir: join(dir, 'config'), home: join(dir, 'home'), pollIntervalMs: 100 })
      : createEtcdConfigStore({ endpoints: (process.env.FLOTILLA_TEST_ETCD_ENDPOINTS ?? '').split(','), prefix });
  const store = await open();
  const opened: ConfigStore[] = [store];
  return {
    store,
    dir,
    prefix,
    another: async () => {
      const other = await open();
      opened.push(other);
      return other;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the first value `probe` returns that is not undefined; rejects after `timeoutMs`. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
