/**
 * Deploys the whole system onto the node cluster the way a user would: the images
 * imported into the node's containerd, two PostgreSQL databases (the harness's server,
 * relayed into the node) behind the Secrets the examples name, then deploy/kubernetes
 * (CRD, operator, the services' RBAC, the example Microservices).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources, type KubeObject } from '@flotilla/kube';
import { IMAGES } from '../../../scripts/images/images.ts';
import { ensureBundles } from '../../../scripts/images/test/support/bundles.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { waitUntil } from '../../support/kube.ts';
import { getOrUndefined, importImages, readyPods, type NodeCluster } from './cluster.ts';
import { applyManifests, readManifests } from './manifests.ts';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy', 'kubernetes');
export const NAMESPACE = 'default';
export const OPERATOR_NAMESPACE = 'flotilla-system';

/** Ready Pods each Microservice of deploy/kubernetes/examples should have (users: the HPA's minimum). */
export const EXPECTED_READY: Record<string, number> = { users: 2, orders: 2, greeter: 1, gateway: 2 };

/** Builds every image into a temporary folder and imports the archives into the node. */
export async function buildAndImportImages(cluster: NodeCluster, log: (m: string) => void): Promise<void> {
  log(ensureBundles(ROOT));
  const out = await mkdtemp(join(tmpdir(), 'flotilla-e2e-images-'));
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'scripts', 'images', 'build.ts'), '--out', out, '--quiet'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`images build exited with ${code}:\n${output}`))));
    });
    await importImages(
      cluster,
      IMAGES.map((image) => join(out, `${image.short}.tar`)),
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

export interface Databases {
  users: TestDatabase;
  orders: TestDatabase;
  drop(): Promise<void>;
}

/** One database per service on the harness's PostgreSQL, reachable from Pods through a relay, in the examples' Secrets. */
export async function createDatabaseSecrets(cluster: NodeCluster): Promise<Databases> {
  const users = await createTestDatabase('postgres');
  const orders = await createTestDatabase('postgres');
  const port = Number(new URL(users.dsn).port);
  await cluster.relay(port);
  for (const [name, db] of [
    ['users-database', users],
    ['orders-database', orders],
  ] as const) {
    const url = new URL(db.dsn);
    url.hostname = cluster.hostIP;
    await cluster.client.apply(
      { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: NAMESPACE },
        type: 'Opaque',
        stringData: { url: url.toString() },
      } as KubeObject,
      { force: true },
    );
  }
  return {
    users,
    orders,
    drop: async () => {
      await Promise.allSettled([users.drop(), orders.drop()]);
    },
  };
}

/** deploy/kubernetes as the README applies it: CRDs, the operator, the services' RBAC, the examples. */
export async function applyDeploy(cluster: NodeCluster): Promise<void> {
  await applyManifests(cluster.client, readManifests(join(DEPLOY, 'crds')));
  await waitUntil('the Microservice CRD Established', async () => {
    const crd = await getOrUndefined<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
      cluster.client,
      Resources.CustomResourceDefinition,
      undefined,
      'microservices.flotilla.dev',
    );
    return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  });
  await applyManifests(cluster.client, readManifests(join(DEPLOY, 'operator')));
  await applyManifests(cluster.client, readManifests(join(DEPLOY, 'rbac')));
  await applyManifests(cluster.client, readManifests(join(DEPLOY, 'examples')));
}

/** Every Microservice has its Ready Pods, and both operator replicas are Ready. */
export async function waitForSystem(cluster: NodeCluster, timeoutMs: number): Promise<void> {
  await waitUntil(
    'the operator and every example Microservice Ready',
    async () => {
      const operator = await readyPodsOf(cluster, OPERATOR_NAMESPACE, 'app.kubernetes.io/name=flotilla-operator');
      if (operator < 2) return false;
      for (const [name, want] of Object.entries(EXPECTED_READY)) {
        if ((await readyPods(cluster, NAMESPACE, name)).length < want) return false;
      }
      return true;
    },
    timeoutMs,
    500,
  );
}

async function readyPodsOf(cluster: NodeCluster, namespace: string, labelSelector: string): Promise<number> {
  const list = await cluster.client.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
    Resources.Pod,
    namespace,
    { labelSelector },
  );
  return list.items.filter(
    (p) => p.metadata.deletionTimestamp === undefined && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}
