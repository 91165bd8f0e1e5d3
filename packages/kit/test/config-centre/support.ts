/**
 * The config-centre backends for parameterised suites. etcd comes from
 * FLOTILLA_TEST_ETCD_ENDPOINTS and Kubernetes from FLOTILLA_TEST_KUBECONFIG
 * (scripts/test-services); under `npm test` (FLOTILLA_TEST_REQUIRE_SERVICES=1)
 * a missing server fails the suite, in a quick local run its part is skipped
 * with a note on stderr.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdConfigStore, createKubernetesConfigStore, FileConfigStore, type ConfigStore } from '@flotilla/kit/config';
import { adminClient, createNamespace, deleteNamespace, testKubeconfig } from '../support/kube.ts';

export type BackendName = 'file' | 'etcd' | 'kubernetes';

export function testBackends(): BackendName[] {
  const backends: BackendName[] = ['file'];
  const required = process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1';
  if (process.env.FLOTILLA_TEST_ETCD_ENDPOINTS) backends.push('etcd');
  else if (required)
    throw new Error('FLOTILLA_TEST_ETCD_ENDPOINTS is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start etcd (scripts/test-services)');
  else process.stderr.write('[test] config centre: skipping the etcd backend (FLOTILLA_TEST_ETCD_ENDPOINTS not set)\n');
  if (testKubeconfig() !== undefined) backends.push('kubernetes');
  else if (required)
    throw new Error(
      'FLOTILLA_TEST_KUBECONFIG is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the kube control plane (scripts/test-services)',
    );
  else process.stderr.write('[test] config centre: skipping the kubernetes backend (FLOTILLA_TEST_KUBECONFIG not set)\n');
  return backends;
}

export interface TestStore {
  store: ConfigStore;
  /** Opens a second, independent client on the same data (another process's view). */
  another(): Promise<ConfigStore>;
  dir: string;
  prefix: string;
  /** The Kubernetes namespace of the kubernetes backend ('' for the others). */
  kubeNamespace: string;
  cleanup(): Promise<void>;
}

/** A fresh, empty centre: a temp folder, a random etcd prefix, or a new Kubernetes namespace (deleted afterwards). */
export async function createTestStore(backend: BackendName): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-centre-'));
  const prefix = `/flotilla-test-${randomBytes(5).toString('hex')}/config`;
  const kubeconfig = testKubeconfig() ?? '';
  const admin = backend === 'kubernetes' ? adminClient(kubeconfig) : undefined;
  const kubeNamespace = admin === undefined ? '' : await createNamespace(admin, 'flotilla-centre');
  const open = async (): Promise<ConfigStore> => {
    if (backend === 'file') return new FileConfigStore({ configDir: join(dir, 'config'), home: join(dir, 'home'), pollIntervalMs: 100 });
    if (backend === 'etcd')
      return createEtcdConfigStore({ endpoints: (process.env.FLOTILLA_TEST_ETCD_ENDPOINTS ?? '').split(','), prefix });
    return createKubernetesConfigStore({ kubeconfig, namespace: kubeNamespace });
  };
  const store = await open();
  const opened: ConfigStore[] = [store];
  return {
    store,
    dir,
    prefix,
    kubeNamespace,
    another: async () => {
      const other = await open();
      opened.push(other);
      return other;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
      if (admin !== undefined) {
        await deleteNamespace(admin, kubeNamespace);
        await admin.close();
      }
    },
  };
}

/** Resolves with the first value `probe` returns that is not undefined; rejects after `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
