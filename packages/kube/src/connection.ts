// Where the API server is and how to authenticate: from a kubeconfig file (current
// context; certificate, key or token, inline or by path) or from the in-cluster service
// account. Exec/auth-provider plugins are not supported.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export interface ClusterConnection {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** a static bearer token */
  token?: string;
  /** a token file re-read periodically (projected service-account tokens rotate) */
  tokenFile?: string;
  insecureSkipTlsVerify?: boolean;
  /** the default namespace of the context */
  namespace?: string;
  /** act as another user (Impersonate-* headers), e.g. to check RBAC */
  impersonate?: { user: string; groups?: string[] };
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
type Section = Record<string, string | boolean | undefined>;

function pick(list: unknown, name: string | undefined, field: 'cluster' | 'user' | 'context'): Section {
  const entries = Array.isArray(list) ? (list as Named<Section>[]) : [];
  const found = entries.find((entry) => entry.name === name);
  if (!found) throw new Error(`kubeconfig: ${field} "${name}" not found`);
  return (found[field] as Section | undefined) ?? {};
}

function fileOrData(base: string, section: Section, fileKey: string, dataKey: string): Buffer | undefined {
  const data = section[dataKey];
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  const file = section[fileKey];
  if (typeof file === 'string') return readFileSync(isAbsolute(file) ? file : join(base, file));
  return undefined;
}

export function loadKubeconfig(path: string, contextName?: string): ClusterConnection {
  const doc = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const base = dirname(path);
  const context = pick(doc.contexts, contextName ?? (doc['current-context'] as string | undefined), 'context');
  const cluster = pick(doc.clusters, context.cluster as string, 'cluster');
  const user = pick(doc.users, context.user as string, 'user');
  if (typeof cluster.server !== 'string') throw new Error('kubeconfig: the cluster has no server');
  if (user.exec || user['auth-provider']) throw new Error('kubeconfig: exec and auth-provider credentials are not supported');
  return {
    server: cluster.server.replace(/\/$/, ''),
    ca: fileOrData(base, cluster, 'certificate-authority', 'certificate-authority-data'),
    cert: fileOrData(base, user, 'client-certificate', 'client-certificate-data'),
    key: fileOrData(base, user, 'client-key', 'client-key-data'),
    token: typeof user.token === 'string' ? user.token : undefined,
    tokenFile: typeof user.tokenFile === 'string' ? user.tokenFile : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    namespace: typeof context.namespace === 'string' ? context.namespace : undefined,
  };
}

/** The pod's service account: KUBERNETES_SERVICE_HOST/PORT and the token, CA and namespace files in `dir`. */
export function loadInCluster(env: Record<string, string | undefined> = process.env, dir = SERVICE_ACCOUNT_DIR): ClusterConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are unset');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    ca: readFileSync(join(dir, 'ca.crt')),
    tokenFile: join(dir, 'token'),
    namespace: readFileSync(join(dir, 'namespace'), 'utf8').trim(),
  };
}

/** An explicit path, else $KUBECONFIG, else in-cluster config, else ~/.kube/config. */
export function loadConnection(kubeconfigPath?: string, env: Record<string, string | undefined> = process.env): ClusterConnection {
  const path = kubeconfigPath ?? env.KUBECONFIG?.split(':')[0];
  if (path) return loadKubeconfig(path);
  if (env.KUBERNETES_SERVICE_HOST) return loadInCluster(env);
  return loadKubeconfig(join(homedir(), '.kube', 'config'));
}
