/**
 * How the kit reaches a Kubernetes API server, for the config centre and
 * discovery backends: a kubeconfig file when one is named (or $KUBECONFIG),
 * else the pod's service account (KUBERNETES_SERVICE_HOST/PORT and
 * /var/run/secrets/kubernetes.io/serviceaccount), else ~/.kube/config.
 */
import { KubeClient, loadConnection, loadInCluster, loadKubeconfig, type ClusterConnection } from '@flotilla/kube';

export interface ClusterSettings {
  /** A kubeconfig file (its current context). */
  kubeconfig?: string;
  /** The Kubernetes namespace to use; default the service account's, else the context's, else `default`. */
  namespace?: string;
  /** Where the in-cluster token, ca.crt and namespace files are (default the standard mount). */
  serviceAccountDir?: string;
}

export interface Cluster {
  client: KubeClient;
  /** The Kubernetes namespace everything is read from and written to. */
  namespace: string;
  /** The API server URL, for messages. */
  server: string;
}

/** The kit's writes are told apart from the operator's in managedFields. */
const FIELD_MANAGER = 'flotilla';

export function connectToCluster(settings: ClusterSettings, env: Record<string, string | undefined> = process.env): Cluster {
  const connection = clusterConnection(settings, env);
  const client = new KubeClient(connection, { fieldManager: FIELD_MANAGER, connections: 8 });
  return { client, namespace: settings.namespace ?? connection.namespace ?? 'default', server: connection.server };
}

function clusterConnection(settings: ClusterSettings, env: Record<string, string | undefined>): ClusterConnection {
  if (settings.kubeconfig !== undefined) return loadKubeconfig(settings.kubeconfig);
  if (settings.serviceAccountDir !== undefined) return loadInCluster(env, settings.serviceAccountDir);
  return loadConnection(undefined, env);
}
