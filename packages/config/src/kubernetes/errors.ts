/**
 * API server failures as the kit's errors, so callers (and the CLI's exit
 * codes) can tell them apart: RBAC refusals become `forbidden` with a message
 * that names the missing permission, refused credentials `unauthenticated`,
 * and an API server that cannot be reached `unavailable`.
 */
import { isForbidden, isUnauthorized, isUnreachable, type KubeApiError } from '@flotilla/kube';
import { FlotillaError, UnavailableError } from '@flotilla/core';

/** What was being done, in RBAC terms: `list` `endpointslices.discovery.k8s.io` in `shop`. */
export interface KubeOperation {
  verb: string;
  /** `<plural>[.<group>]`, as a Role's rule would name it. */
  resource: string;
  namespace: string;
  server: string;
}

export function kubernetesError(error: unknown, operation: KubeOperation): Error {
  const { verb, resource, namespace, server } = operation;
  if (isForbidden(error)) {
    return new FlotillaError(
      'forbidden',
      `permission denied: this service account may not "${verb}" ${resource} in the Kubernetes namespace "${namespace}"; grant it with a Role and RoleBinding (deploy/kubernetes/rbac). The API server said: ${(error as KubeApiError).message}`,
      { cause: error, details: { verb, resource, namespace } },
    );
  }
  if (isUnauthorized(error)) {
    return new FlotillaError(
      'unauthenticated',
      `the Kubernetes API at ${server} refused the credentials (expired token or wrong kubeconfig): ${(error as KubeApiError).message}`,
      { cause: error },
    );
  }
  if (isUnreachable(error)) {
    return new UnavailableError(
      `the Kubernetes API at ${server} is unavailable: ${(error as Error).message || (error as { code?: string }).code}`,
      {
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Runs one API call and translates its failure. */
export async function kubeCall<T>(operation: KubeOperation, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw kubernetesError(error, operation);
  }
}
