import { randomBytes } from 'node:crypto';
import { isNotFound, type KubeClient, Resources } from '@flotilla/kube';

/** A new namespace `<prefix>-<random>`, so suites sharing one API server never meet. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Deletes the namespace (and so everything in it); one already gone is fine. */
export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(Resources.Namespace, undefined, name).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}
