/**
 * Deploys the whole system onto the node cluster the way a user would: the images
 * imported into the node's containerd, then deploy/kubernetes (the CRDs, the operator once
 * they are served, the services' RBAC, the example Databases and Microservices). The
 * administrator Secret the Databases name is made by database-server.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Resources, type KubeObject } from '@flotilla/kube';
import { eventually } from '@flotilla/testing';
import { IMAGES } from '../../../scripts/images/images.ts';
import { ensureCompiled } from '../../../scripts/images/test/support/compiled.ts';
import { importImages, isReady, readyPods, type Pod, type NodeCluster } from './cluster.ts';
import { kubectl } from '../../../scripts/test-services/kube.ts';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy', 'kubernetes');
export const NAMESPACE = 'default';
export const OPERATOR_NAMESPACE = 'flotilla-system';

/** Ready Pods each Microservice of deploy/kubernetes/examples should have (users: the HPA's minimum). */
export const EXPECTED_READY: Record<string, number> = { users: 2, orders: 2, greeter: 1, gateway: 2 };

/** Builds every image into a temporary folder and imports the archives into the node. */
export async function buildAndImportImages(cluster: NodeCluster, log: (m: string) => void): Promise<void> {
  log(ensureCompiled(ROOT));
  const out = await mkdtemp(join(tmpdir(), 'flotilla-e2e-images-'));
  try {
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'images', 'build.ts'), '--out', out, '--quiet'], {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    });
    await importImages(
      cluster,
      IMAGES.map((image) => join(out, `${image.short}.tar`)),
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** deploy/kubernetes with the commands of its README (server-side apply). */
export async function applyDeploy(cluster: NodeCluster): Promise<void> {
  const apply = (...args: string[]) => kubectl(cluster.kubeconfig, 'apply', '--server-side', '--force-conflicts', ...args);
  await apply('-f', join(DEPLOY, 'crds'));
  // The operator runs its Database controller only if Databases are served when it starts.
  await waitForCrds(cluster, ['microservices.flotilla.dev', 'databases.flotilla.dev']);
  await apply('-k', join(DEPLOY, 'operator'));
  await apply('-k', join(DEPLOY, 'rbac'));
  await apply('-k', join(DEPLOY, 'examples'));
}

/** Each CRD Established (`kubectl wait --for=condition` gives up on a CRD that has no conditions yet). */
async function waitForCrds(cluster: NodeCluster, names: string[]): Promise<void> {
  type Crd = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
  for (const name of names)
    await eventually(
      async () => {
        const crd = await cluster.client.get<Crd>(Resources.CustomResourceDefinition, undefined, name);
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: `the CRD ${name} Established` },
    );
}

/** Every Microservice has its Ready Pods, and both operator replicas are Ready. */
export async function waitForSystem(cluster: NodeCluster, timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      const operator = await cluster.client.list<Pod>(Resources.Pod, OPERATOR_NAMESPACE, {
        labelSelector: 'app.kubernetes.io/name=flotilla-operator',
      });
      if (operator.items.filter(isReady).length < 2) return false;
      for (const [name, want] of Object.entries(EXPECTED_READY)) {
        if ((await readyPods(cluster, NAMESPACE, name)).length < want) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 500, message: 'the operator and every example Microservice Ready' },
  );
}
