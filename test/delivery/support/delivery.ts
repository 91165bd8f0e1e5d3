/**
 * What the delivery suites share: the environments, `kustomize build` of an overlay (the
 * pinned kustomize of scripts/test-services), the objects of a YAML stream, and kubectl
 * against the harness's API server with the stream in a temporary file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeObject as KubeApiObject, Resources } from '@flotilla/kube';
import { clientFor, eventually, repoRoot } from '@flotilla/testing';
import { parseAllDocuments } from 'yaml';
import { kubectl } from '../../../scripts/test-services/kube.ts';
import { kustomize } from '../../../scripts/test-services/kustomize.ts';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const deployDir = join(repoRoot, 'deploy', 'kubernetes');
export const gitopsDir = join(repoRoot, 'deploy', 'gitops');

export function overlayDir(env: string): string {
  return join(deployDir, 'overlays', env);
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  [key: string]: unknown;
}

/** Every document of a YAML stream, in order. */
export function objectsOf(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

/**
 * `kustomize build` of a folder. The overlays read config/<env>/ from outside their folder,
 * which kustomize allows only with `--load-restrictor LoadRestrictionsNone` (deploy/kubernetes/README.md).
 */
export async function kustomizeBuild(dir: string): Promise<string> {
  const { stdout } = await kustomize(['build', '--load-restrictor', 'LoadRestrictionsNone', dir]);
  return stdout;
}

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Runs kubectl with `text` written to a file, whose path replaces `{}` in `args`. */
export async function kubectlWithFile(kubeconfig: string, text: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-delivery-'));
  try {
    const file = join(dir, 'objects.yaml');
    writeFileSync(file, text);
    return await kubectl(kubeconfig, ...args.map((arg) => (arg === '{}' ? file : arg)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A server-side apply with dryRun=All: the API server validates and admits every object and stores none. */
export function dryRunApply(kubeconfig: string, text: string): Promise<{ stdout: string; stderr: string }> {
  return kubectlWithFile(
    kubeconfig,
    text,
    'apply',
    '--server-side',
    '--dry-run=server',
    '--validate=strict',
    '--field-manager=flotilla-delivery-test',
    '-f',
    '{}',
  );
}

interface CrdStatus {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/**
 * Applies the CRDs in `files` for real (server-side) and waits until each of `names` is
 * Established. (`kubectl wait --for=condition` gives up on a CRD that has no conditions yet.)
 */
export async function installCrds(kubeconfig: string, files: string[], names: string[]): Promise<void> {
  const apply = ['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-delivery-test'];
  await kubectl(kubeconfig, ...apply, ...files.flatMap((f) => ['-f', f]));
  const client = clientFor(kubeconfig);
  try {
    for (const name of names) {
      await eventually(
        async () => {
          const crd = await client.get<KubeApiObject & CrdStatus>(Resources.CustomResourceDefinition, undefined, name);
          return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
        },
        { timeoutMs: 60_000, intervalMs: 100, message: `the CRD ${name} to be Established` },
      );
    }
  } finally {
    await client.close();
  }
}
