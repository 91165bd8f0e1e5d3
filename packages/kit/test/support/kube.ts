/**
 * The harness's Kubernetes control plane (FLOTILLA_TEST_KUBECONFIG, from
 * scripts/test-services) for the kit's kubernetes backends: an admin client
 * and throwaway namespaces. Without it a suite skips, with a note, unless
 * FLOTILLA_TEST_REQUIRE_SERVICES=1 (npm test), where it fails.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { isAlreadyExists, isNotFound, KubeClient, loadKubeconfig, Resources, type KubeObject, type ResourceType } from '@flotilla/kube';
import { binariesCached, startKubeControlPlane, type ControlPlane } from '../../../../scripts/test-services/kube.ts';

export type { ControlPlane };

export function testKubeconfig(): string | undefined {
  const path = process.env.FLOTILLA_TEST_KUBECONFIG;
  return path === undefined || path === '' ? undefined : path;
}

/** The kubeconfig, or a reason to skip; throws when services are required. */
export function kubeconfigOrSkipReason(): { kubeconfig: string } | { skip: string } {
  const kubeconfig = testKubeconfig();
  if (kubeconfig !== undefined) return { kubeconfig };
  if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1') throw new Error('FLOTILLA_TEST_KUBECONFIG is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1: start the kube test server (scripts/test-services)');
  return { skip: 'FLOTILLA_TEST_KUBECONFIG not set (run under scripts/test-services --only kube)' };
}

export function adminClient(kubeconfig: string): KubeClient {
  return new KubeClient(loadKubeconfig(kubeconfig));
}

export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(Resources.Namespace, undefined, name).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}

/**
 * A control plane of the test's own, for tests that restart the API server or
 * compact its etcd (they must not disturb the shared one). Needs the cached
 * binaries: a reason to skip without them, unless services are required.
 */
export async function privateControlPlane(): Promise<ControlPlane | { skip: string }> {
  const binDir = process.env.FLOTILLA_TEST_KUBE_BIN_DIR;
  const available = (binDir !== undefined && existsSync(join(binDir, 'kube-apiserver'))) || (await binariesCached());
  if (!available) {
    if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1') throw new Error('kube-apiserver binaries are missing but FLOTILLA_TEST_REQUIRE_SERVICES=1 (run scripts/k8s/build.sh)');
    return { skip: 'no kube-apiserver binaries: run scripts/k8s/build.sh' };
  }
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-kit-kube-'));
  const plane = await startKubeControlPlane({ dir, log: () => {} });
  const stop = plane.stop.bind(plane);
  plane.stop = async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  return plane;
}

const rbacTypes: Record<string, ResourceType> = {
  ServiceAccount: Resources.ServiceAccount,
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true },
};

/** Creates the objects of an RBAC manifest file in `namespace` (the RoleBindings' subjects moved along, as kustomize does). */
export async function applyRbacManifest(client: KubeClient, file: string, namespace: string): Promise<void> {
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS() as KubeObject & { subjects?: Array<{ namespace?: string }> };
    const type = rbacTypes[object.kind ?? ''];
    if (type === undefined) throw new Error(`${file}: unexpected kind ${object.kind}`);
    object.metadata.namespace = namespace;
    for (const subject of object.subjects ?? []) subject.namespace = namespace;
    await client.create(type, object);
  }
}

export interface ServiceAccountCredentials {
  /** A kubeconfig authenticating with the token (and trusting the cluster's CA). */
  kubeconfig: string;
  /** A folder laid out like /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt, namespace). */
  serviceAccountDir: string;
  /** KUBERNETES_SERVICE_HOST/PORT of the API server, as a pod sees them. */
  env: Record<string, string>;
}

/** Credentials of a ServiceAccount (created if missing) from the TokenRequest API, as a pod would get them. */
export async function serviceAccountCredentials(admin: KubeClient, adminKubeconfig: string, namespace: string, name: string, dir: string): Promise<ServiceAccountCredentials> {
  await admin.create(Resources.ServiceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }).catch((error: unknown) => {
    if (!isAlreadyExists(error)) throw error;
  });
  const request = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const token = request.status.token;
  const connection = loadKubeconfig(adminKubeconfig);
  const url = new URL(connection.server);
  const serviceAccountDir = join(dir, `${name}-serviceaccount`);
  await mkdir(serviceAccountDir, { recursive: true });
  await writeFile(join(serviceAccountDir, 'token'), token);
  await writeFile(join(serviceAccountDir, 'ca.crt'), connection.ca ?? '');
  await writeFile(join(serviceAccountDir, 'namespace'), namespace);
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  await writeFile(kubeconfig, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': name,
    clusters: [{ name: 'test', cluster: { server: connection.server, 'certificate-authority-data': connection.ca?.toString('base64') } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: 'test', user: name, namespace } }],
  }));
  return { kubeconfig, serviceAccountDir, env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port } };
}
