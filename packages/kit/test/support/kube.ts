/**
 * The kit's helpers for its kubernetes backends' suites, on top of the shared
 * ones in test/support/kube.ts: RBAC manifests and ServiceAccount credentials
 * as a pod gets them.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { isAlreadyExists, type KubeClient, loadKubeconfig, Resources, type KubeObject, type ResourceType } from '@flotilla/kube';

export {
  clientFor as adminClient,
  createNamespace,
  deleteNamespace,
  kubeconfigOrSkipReason,
  kubectl,
  privateControlPlane,
  type ControlPlane,
} from '../../../../test/support/kube.ts';

/** The shared control plane's kubeconfig, if the harness started one. */
export function testKubeconfig(): string | undefined {
  const path = process.env.FLOTILLA_TEST_KUBECONFIG;
  return path === undefined || path === '' ? undefined : path;
}

const rbacTypes: Record<string, ResourceType> = {
  ServiceAccount: Resources.ServiceAccount,
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  RoleBinding: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
  },
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
export async function serviceAccountCredentials(
  admin: KubeClient,
  adminKubeconfig: string,
  namespace: string,
  name: string,
  dir: string,
): Promise<ServiceAccountCredentials> {
  await admin
    .create(Resources.ServiceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } })
    .catch((error: unknown) => {
      if (!isAlreadyExists(error)) throw error;
    });
  const request = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    },
  );
  const token = request.status.token;
  const connection = loadKubeconfig(adminKubeconfig);
  const url = new URL(connection.server);
  const serviceAccountDir = join(dir, `${name}-serviceaccount`);
  await mkdir(serviceAccountDir, { recursive: true });
  await writeFile(join(serviceAccountDir, 'token'), token);
  await writeFile(join(serviceAccountDir, 'ca.crt'), connection.ca ?? '');
  await writeFile(join(serviceAccountDir, 'namespace'), namespace);
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': name,
      clusters: [
        {
          name: 'test',
          cluster: { server: connection.server, 'certificate-authority-data': connection.ca?.toString('base64') },
        },
      ],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'test', user: name, namespace } }],
    }),
  );
  return {
    kubeconfig,
    serviceAccountDir,
    env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
  };
}
