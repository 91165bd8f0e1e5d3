// Starts a throwaway Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC on)
// and kube-controller-manager, with a generated PKI and an admin kubeconfig. No kubelet
// and no scheduler: Pods stay Pending (node.ts adds both).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeKubeconfig } from './kubeconfig.ts';
import { createPki, type Pki } from './pki.ts';
import { freePort, startProcess, waitFor, type ManagedProcess } from './process.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** An etcd the control plane stores into. */
export interface EtcdEndpoint {
  /** client URL, e.g. http://127.0.0.1:2379 */
  endpoint: string;
  stop(): Promise<void>;
}
export type EtcdStarter = (dir: string, log: (m: string) => void) => Promise<EtcdEndpoint>;

export interface ControlPlaneOptions {
  dir: string;
  log: (message: string) => void;
  startEtcd: EtcdStarter;
  /** directory holding kube-apiserver and kube-controller-manager (default: build or reuse the cached ones) */
  binDir?: string;
  /** extra kube-apiserver flags, e.g. ['--watch-cache=false'] */
  apiserverFlags?: string[];
  /** kube-controller-manager controllers to run on top of CONTROLLERS, e.g. ['root-ca-cert-publisher'] */
  extraControllers?: string[];
}

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  server: string;
  port: number;
  etcdEndpoint: string;
  binDir: string;
  /** the cluster CA (signs client certificates for more components, e.g. a node's kubelet) */
  caCert: string;
  caKey: string;
  /** the controllers kube-controller-manager runs */
  controllers: string[];
  /** Stops kube-apiserver (SIGTERM); watches break, the data stays in etcd. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again (on `port`, default the original one) and waits for /readyz. */
  startApiserver(port?: number): Promise<void>;
  restartApiserver(): Promise<void>;
  /** Compacts etcd at its current revision, so older resourceVersions answer 410 Gone. */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

export const CONTROLLERS = [
  'garbagecollector',
  'namespace',
  'deployment',
  'replicaset',
  'serviceaccount',
  'serviceaccount-token',
  'clusterrole-aggregation',
  'disruption',
];

/** The version pinned in go.mod, e.g. v1.32.9. */
export async function kubernetesVersion(): Promise<string> {
  const goMod = await readFile(join(here, 'go.mod'), 'utf8');
  const match = /^\s*k8s\.io\/kubernetes (v1\.[0-9.]+)/m.exec(goMod);
  if (!match?.[1]) throw new Error('cannot read the k8s.io/kubernetes version from scripts/k8s/go.mod');
  return match[1];
}

export async function cachedBinDir(): Promise<string> {
  const root = process.env.FLOTILLA_CACHE_DIR ?? join(homedir(), '.cache', 'flotilla');
  return join(root, 'bin', `kubernetes-${await kubernetesVersion()}`);
}

/** The control plane's commands; node.ts needs NODE_COMMANDS too. */
export const CONTROL_PLANE_COMMANDS = ['kube-apiserver', 'kube-controller-manager'];
export const NODE_COMMANDS = ['kube-scheduler', 'kubelet'];

export async function binariesCached(commands: string[] = CONTROL_PLANE_COMMANDS): Promise<boolean> {
  const dir = await cachedBinDir();
  return commands.every((cmd) => existsSync(join(dir, cmd)));
}

/** Builds `commands` with scripts/k8s/build.sh unless cached; returns their directory. */
export async function buildKubernetes(log: (m: string) => void, commands: string[] = CONTROL_PLANE_COMMANDS): Promise<string> {
  if (await binariesCached(commands)) return await cachedBinDir();
  log(`building ${commands.join(' and ')} from Go modules (first run only; 15-30 min on 2 cores)`);
  const { stdout } = await promisify(execFile)('bash', [join(here, 'build.sh'), ...commands], { maxBuffer: 16 << 20 });
  return stdout.trim().split('\n').pop() ?? (await cachedBinDir());
}

function httpsGet(url: string, pki: Pki, client: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return Promise.all([readFile(pki.caCert), readFile(client.cert), readFile(client.key)]).then(
    ([ca, cert, key]) =>
      new Promise((resolve, reject) => {
        const req = request(url, { ca, cert, key, timeout: 5000 }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      }),
  );
}

async function etcdCall(endpoint: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { dir, log } = options;
  const t0 = Date.now();
  const binDir = options.binDir ?? (await buildKubernetes(log));
  await mkdir(dir, { recursive: true });
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir, { recursive: true });
  const pki = await createPki(pkiDir, [
    { name: 'admin', commonName: 'flotilla-admin', organization: 'system:masters' },
    { name: 'controller-manager', commonName: 'system:kube-controller-manager' },
    // What kube-apiserver presents to kubelets (logs, exec, port-forward); no kubelet runs
    // unless node.ts starts one.
    { name: 'kubelet-client', commonName: 'kube-apiserver-kubelet-client', organization: 'system:masters' },
  ]);
  const controllers = [...new Set([...CONTROLLERS, ...(options.extraControllers ?? [])])];
  const etcd = await options.startEtcd(join(dir, 'etcd'), log);
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
  const admin = pki.clients.admin!;
  const kcmClient = pki.clients['controller-manager']!;
  await writeKubeconfig(kubeconfig, { server, caCert: pki.caCert, clientCert: admin.cert, clientKey: admin.key, user: 'flotilla-admin' });
  await writeKubeconfig(kcmKubeconfig, {
    server,
    caCert: pki.caCert,
    clientCert: kcmClient.cert,
    clientKey: kcmClient.key,
    user: 'kube-controller-manager',
  });

  let apiserver: ManagedProcess | undefined;
  const apiserverArgs = (listenPort: number) => [
    `--etcd-servers=${etcd.endpoint}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${listenPort}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    // A /16: benchmarks create thousands of Services.
    '--service-cluster-ip-range=10.96.0.0/16',
    `--kubelet-client-certificate=${pki.clients['kubelet-client']!.cert}`,
    `--kubelet-client-key=${pki.clients['kubelet-client']!.key}`,
    // A node's Hostname address resolves nowhere here (and must not be looked up in DNS).
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    '--profiling=false',
    '--v=1',
    ...(options.apiserverFlags ?? []),
  ];
  const startApiserver = async (listenPort = port): Promise<void> => {
    apiserver = startProcess(
      'kube-apiserver',
      join(binDir, 'kube-apiserver'),
      apiserverArgs(listenPort),
      join(dir, 'kube-apiserver.log'),
      log,
    );
    const url = `https://127.0.0.1:${listenPort}/readyz`;
    await waitFor('kube-apiserver /readyz', async () => (await httpsGet(url, pki, admin)).status === 200, 120_000, apiserver);
  };
  const stopApiserver = async (): Promise<void> => {
    await apiserver?.stop();
    apiserver = undefined;
  };

  let controllerManager: ManagedProcess | undefined;
  try {
    await startApiserver();
    controllerManager = startProcess(
      'kube-controller-manager',
      join(binDir, 'kube-controller-manager'),
      [
        `--kubeconfig=${kcmKubeconfig}`,
        `--controllers=${controllers.join(',')}`,
        // Each controller acts as its own service account, with the bootstrap RBAC roles
        // (system:controller:*); the controller manager's own identity lacks those rights.
        '--use-service-account-credentials=true',
        '--leader-elect=false',
        '--secure-port=0',
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        '--concurrent-gc-syncs=20',
        '--v=1',
      ],
      join(dir, 'kube-controller-manager.log'),
      log,
    );
    log(`control plane ready at ${server} in ${Date.now() - t0} ms (kubeconfig ${kubeconfig})`);
  } catch (error) {
    await stopApiserver();
    await etcd.stop();
    throw error;
  }

  return {
    dir,
    kubeconfig,
    server,
    port,
    etcdEndpoint: etcd.endpoint,
    binDir,
    caCert: pki.caCert,
    caKey: pki.caKey,
    controllers,
    stopApiserver,
    startApiserver,
    async restartApiserver() {
      await stopApiserver();
      await startApiserver();
    },
    async compactEtcd() {
      const range = await etcdCall(etcd.endpoint, '/v3/kv/range', { key: Buffer.from('/').toString('base64') });
      const revision = Number((range.header as { revision: string }).revision);
      await etcdCall(etcd.endpoint, '/v3/kv/compaction', { revision: String(revision), physical: true });
      return revision;
    },
    async stop() {
      await controllerManager?.stop();
      await stopApiserver();
      await etcd.stop();
    },
  };
}
