import { isNotFound, KubeClient, type KubeObject, loadKubeconfig } from '@flotilla/kube';

export function clientFor(kubeconfig: string): KubeClient {
  return new KubeClient(loadKubeconfig(kubeconfig));
}

/** The object `get` returns, or undefined when the API server answers 404. */
export async function getOrUndefined<T extends KubeObject>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
