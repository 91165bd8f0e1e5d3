import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isAlreadyExists, type KubeClient, loadKubeconfig, Resources } from '@flotilla/kube';

export interface ServiceAccountCredentials {
  /** A kubeconfig authenticating with the token (and trusting the cluster's CA). */
  kubeconfig: string;
  /** A folder laid out like /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt, namespace). */
  serviceAccountDir: string;
  /** KUBERNETES_SERVICE_HOST/PORT of the API server, as a pod sees them. */
  env: Record<string, string>;
}

/** Credentials of a ServiceAccount (created if missing) from the TokenRequest API, written to `dir` as a pod would get them. */
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
  const { status } = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    },
  );
  const connection = loadKubeconfig(adminKubeconfig);
  const serviceAccountDir = join(dir, `${name}-serviceaccount`);
  await mkdir(serviceAccountDir, { recursive: true });
  await writeFile(join(serviceAccountDir, 'token'), status.token);
  await writeFile(join(serviceAccountDir, 'ca.crt'), connection.ca ?? '');
  await writeFile(join(serviceAccountDir, 'namespace'), namespace);
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': name,
      clusters: [{ name: 'test', cluster: { server: connection.server, 'certificate-authority-data': connection.ca?.toString('base64') } }],
      users: [{ name, user: { token: status.token } }],
      contexts: [{ name, context: { cluster: 'test', user: name, namespace } }],
    }),
  );
  const server = new URL(connection.server);
  return { kubeconfig, serviceAccountDir, env: { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port } };
}
