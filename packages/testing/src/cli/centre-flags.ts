/**
 * A config centre for one test, on each backend the `flotilla` command and a
 * service can use: the file backend always, etcd and Kubernetes on the
 * harness's servers.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Resources } from '@flotilla/kube';
import { clientFor } from '../kube/client.ts';
import { deleteNamespace } from '../kube/namespaces.ts';
import { servicesRequired } from '../servers/required.ts';
import { scratchDir } from '../temp-dir.ts';

export type Backend = 'file' | 'etcd' | 'kubernetes';

export interface CentreFlags {
  backend: Backend;
  /** The command line flags that select this centre. */
  args: string[];
  /** The same centre for a service process. */
  env: Record<string, string>;
  dir: string;
  /** Resolves once the centre exists (the Kubernetes namespace is created): await it in `before`. */
  ready: Promise<void>;
  /** Removes what `ready` created. */
  cleanup(): Promise<void>;
}

/** A new centre: a temporary folder, a random etcd prefix, or a new Kubernetes namespace. */
export function centreFlags(backend: Backend): CentreFlags {
  const dir = scratchDir('cli');
  const fileEnv = { FLOTILLA_CONFIG_DIR: join(dir, 'config'), FLOTILLA_HOME: join(dir, 'home') };
  const configDirArgs = ['--config-dir', fileEnv.FLOTILLA_CONFIG_DIR];
  const nothingToCreate = { ready: Promise.resolve(), cleanup: async () => undefined };
  if (backend === 'file') {
    return {
      backend,
      dir,
      args: [...configDirArgs, '--home', fileEnv.FLOTILLA_HOME],
      env: { ...fileEnv, FLOTILLA_CONFIG_BACKEND: 'file' },
      ...nothingToCreate,
    };
  }
  if (backend === 'etcd') {
    const endpoints = process.env.FLOTILLA_TEST_ETCD_ENDPOINTS ?? '';
    const prefix = `/flotilla-cli-${randomBytes(5).toString('hex')}/config`;
    return {
      backend,
      dir,
      args: ['--backend', 'etcd', '--etcd', endpoints, '--etcd-prefix', prefix, ...configDirArgs],
      env: { ...fileEnv, FLOTILLA_CONFIG_BACKEND: 'etcd', FLOTILLA_CONFIG_ETCD_ENDPOINTS: endpoints, FLOTILLA_CONFIG_ETCD_PREFIX: prefix },
      ...nothingToCreate,
    };
  }
  const kubeconfig = process.env.FLOTILLA_TEST_KUBECONFIG ?? '';
  const namespace = `flotilla-cli-${randomBytes(4).toString('hex')}`;
  const admin = clientFor(kubeconfig);
  const ready = admin
    .create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })
    .then(() => undefined);
  ready.catch(() => undefined); // reported where it is awaited
  return {
    backend,
    dir,
    args: ['--backend', 'kubernetes', '--kubeconfig', kubeconfig, '--kube-namespace', namespace, ...configDirArgs],
    env: {
      ...fileEnv,
      FLOTILLA_CONFIG_BACKEND: 'kubernetes',
      FLOTILLA_CONFIG_KUBECONFIG: kubeconfig,
      FLOTILLA_CONFIG_KUBE_NAMESPACE: namespace,
    },
    ready,
    cleanup: async () => {
      await deleteNamespace(admin, namespace);
      await admin.close();
    },
  };
}

/** file always; etcd and kubernetes with their harness servers (required under `npm test`, left out with a note otherwise). */
export function testBackends(): Backend[] {
  const backends: Backend[] = ['file'];
  const servers = [
    { backend: 'etcd', variable: 'FLOTILLA_TEST_ETCD_ENDPOINTS' },
    { backend: 'kubernetes', variable: 'FLOTILLA_TEST_KUBECONFIG' },
  ] as const;
  for (const { backend, variable } of servers) {
    if (process.env[variable]) backends.push(backend);
    else if (servicesRequired)
      throw new Error(`${variable} is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the test servers (scripts/test-services)`);
    else process.stderr.write(`[test] flotilla config: skipping the ${backend} backend (${variable} not set)\n`);
  }
  return backends;
}
