/**
 * deploy/gitops against Argo CD's own CRDs (from its Go module, support/argocd-crds.ts),
 * installed in the real API server: every manifest is admitted by a server-side dry run
 * with strict field validation, so does each Application the ApplicationSet's template
 * makes, and the schema refuses what it should. Without Argo CD: the paths they name exist,
 * and the AppProject allows everything the platform and the overlays contain.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kubeconfigOrSkipReason, repoRoot } from '@flotilla/testing';
import { stringify } from 'yaml';
import { kubectl } from '../../scripts/test-services/kube.ts';
import { argoCdCrds } from './support/argocd-crds.ts';
import {
  deployDir,
  dryRunApply,
  ENVIRONMENTS,
  gitopsDir,
  installCrds,
  type KubeObject,
  kubectlWithFile,
  kustomizeBuild,
  objectsOf,
  overlayDir,
} from './support/delivery.ts';

const ARGOCD_CRDS = ['applications.argoproj.io', 'applicationsets.argoproj.io', 'appprojects.argoproj.io'];
const ARGOCD_NAMESPACE = 'argocd';

function gitopsObjects(): KubeObject[] {
  return ['project.yaml', 'platform.yaml', 'environments.yaml'].flatMap((name) => objectsOf(readFileSync(join(gitopsDir, name), 'utf8')));
}

function one(kind: string): KubeObject {
  const found = gitopsObjects().filter((o) => o.kind === kind);
  assert.equal(found.length, 1, kind);
  return found[0] as KubeObject;
}

interface ListElement {
  env: string;
  autoSync: boolean;
}

/** The Applications the ApplicationSet makes, its `{{.env}}` filled in per list element (its templatePatch left out). */
function generatedApplications(): KubeObject[] {
  const set = one('ApplicationSet');
  const spec = set.spec as { generators: Array<{ list: { elements: ListElement[] } }>; template: { metadata: object; spec: object } };
  const elements = spec.generators.flatMap((g) => g.list.elements);
  return elements.map((element) => {
    const filled = JSON.stringify(spec.template).replaceAll('{{.env}}', element.env);
    assert.doesNotMatch(filled, /\{\{/, 'the template uses only .env');
    const template = JSON.parse(filled) as { metadata: KubeObject['metadata']; spec: Record<string, unknown> };
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { ...template.metadata, namespace: ARGOCD_NAMESPACE },
      spec: template.spec,
    };
  });
}

interface Source {
  repoURL: string;
  path: string;
}
interface Destination {
  server: string;
  namespace: string;
}

function applications(): KubeObject[] {
  return [...gitopsObjects().filter((o) => o.kind === 'Application'), ...generatedApplications()];
}

describe('deploy/gitops without Argo CD', () => {
  test('the ApplicationSet makes one Application per environment, each on its overlay and namespace', () => {
    const generated = generatedApplications();
    assert.deepEqual(
      generated.map((a) => a.metadata.name),
      ENVIRONMENTS.map((env) => `flotilla-${env}`),
    );
    for (const [i, env] of ENVIRONMENTS.entries()) {
      const spec = generated[i]?.spec as { source: Source; destination: Destination };
      assert.equal(join(repoRoot, spec.source.path), overlayDir(env));
      assert.equal(spec.destination.namespace, `flotilla-${env}`);
    }
  });

  test('every Application names a folder of this repository with a kustomization', () => {
    for (const application of applications()) {
      const { path } = (application.spec as { source: Source }).source;
      assert.ok(existsSync(join(repoRoot, path, 'kustomization.yaml')), `${application.metadata.name}: ${path}`);
    }
  });

  test('the AppProject allows every source, destination and cluster-wide kind the Applications need', async () => {
    const project = one('AppProject').spec as {
      sourceRepos: string[];
      destinations: Destination[];
      clusterResourceWhitelist: Array<{ group: string; kind: string }>;
    };
    const allowedNamespace = (namespace: string): boolean =>
      project.destinations.some((d) => new RegExp(`^${d.namespace.replaceAll('*', '.*')}$`).test(namespace));
    for (const application of applications()) {
      const spec = application.spec as { project: string; source: Source; destination: Destination };
      assert.equal(spec.project, one('AppProject').metadata.name);
      assert.ok(project.sourceRepos.includes(spec.source.repoURL));
      assert.ok(project.destinations.some((d) => d.server === spec.destination.server));
      assert.ok(allowedNamespace(spec.destination.namespace), spec.destination.namespace);
    }
    const built = (await Promise.all([deployDir, ...ENVIRONMENTS.map(overlayDir)].map(kustomizeBuild))).flatMap(objectsOf);
    for (const object of built) {
      if (object.metadata.namespace !== undefined) {
        assert.ok(allowedNamespace(object.metadata.namespace), `${object.kind}/${object.metadata.name} in ${object.metadata.namespace}`);
        continue;
      }
      const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
      assert.ok(
        project.clusterResourceWhitelist.some((r) => r.group === group && r.kind === object.kind),
        `cluster-wide ${object.kind} ${object.metadata.name} is allowed`,
      );
    }
  });
});

const found = kubeconfigOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const kubeconfig = 'kubeconfig' in found ? found.kubeconfig : '';

describe("deploy/gitops against Argo CD's CRDs in a real API server", { skip }, () => {
  before(async () => {
    const files = await argoCdCrds();
    await installCrds(kubeconfig, files, ARGOCD_CRDS);
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } };
    await kubectlWithFile(kubeconfig, stringify(namespace), 'apply', '--server-side', '--field-manager=flotilla-delivery-test', '-f', '{}');
  });
  after(async () => {
    await kubectl(kubeconfig, 'delete', 'namespace', ARGOCD_NAMESPACE, '--wait=false', '--ignore-not-found');
    await kubectl(kubeconfig, 'delete', 'crd', '--wait=false', '--ignore-not-found', ...ARGOCD_CRDS);
  });

  test('every manifest of deploy/gitops is admitted (server-side dry run, strict field validation)', async () => {
    const { stdout } = await kubectl(
      kubeconfig,
      'apply',
      '--server-side',
      '--dry-run=server',
      '--validate=strict',
      '--field-manager=flotilla-delivery-test',
      '-f',
      gitopsDir,
    );
    assert.deepEqual(stdout.trim().split('\n').sort(), [
      'application.argoproj.io/flotilla-platform serverside-applied (server dry run)',
      'applicationset.argoproj.io/flotilla-environments serverside-applied (server dry run)',
      'appproject.argoproj.io/flotilla serverside-applied (server dry run)',
    ]);
  });

  test("each Application the ApplicationSet's template makes is admitted", async () => {
    const generated = generatedApplications();
    const { stdout } = await dryRunApply(kubeconfig, generated.map((a) => stringify(a)).join('---\n'));
    assert.deepEqual(
      stdout.trim().split('\n'),
      ENVIRONMENTS.map((env) => `application.argoproj.io/flotilla-${env} serverside-applied (server dry run)`),
    );
  });

  test('the schema refuses an unknown field and a wrong type', async () => {
    const platform = one('Application');
    const unknownField = structuredClone(platform);
    (unknownField.spec as { destination: Record<string, unknown> }).destination.cluster = 'in-cluster';
    await assert.rejects(dryRunApply(kubeconfig, stringify(unknownField)), /\.spec\.destination\.cluster: field not declared in schema/);
    const wrongType = structuredClone(platform);
    (wrongType.spec as { syncPolicy: { automated: Record<string, unknown> } }).syncPolicy.automated.prune = 'sometimes';
    await assert.rejects(dryRunApply(kubeconfig, stringify(wrongType)), /\.spec\.syncPolicy\.automated\.prune: expected boolean/);
  });
});
