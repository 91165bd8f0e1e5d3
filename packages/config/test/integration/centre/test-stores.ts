/**
 * A config store on each backend, for the suites that run once per backend
 * (`testBackends()` from @flotilla/testing): etcd from
 * FLOTILLA_TEST_ETCD_ENDPOINTS, Kubernetes from FLOTILLA_TEST_KUBECONFIG.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdConfigStore, createKubernetesConfigStore, FileConfigStore, type ConfigStore } from '@flotilla/config';
import { type Backend, clientFor, createNamespace, deleteNamespace, testKubeconfig } from '@flotilla/testing';

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
export async function createTestStore(backend: Backend): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-centre-'));
  const prefix = `/flotilla-test-${randomBytes(5).toString('hex')}/config`;
  const kubeconfig = testKubeconfig() ?? '';
  const admin = backend === 'kubernetes' ? clientFor(kubeconfig) : undefined;
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
