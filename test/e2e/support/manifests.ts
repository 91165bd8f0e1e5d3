/**
 * Applies the repository's manifests the way `kubectl apply --server-side -k DIR` does
 * for these folders: the files a kustomization.yaml lists (every YAML file of the folder
 * when it has none), its `namespace` set on namespaced objects, each object applied with
 * server-side apply. Only what deploy/kubernetes uses is understood; anything else fails.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { type KubeClient, type KubeObject, Resources, type ResourceType } from '@flotilla/kube';

const rbac = (plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});

const TYPES: ResourceType[] = [
  Resources.Namespace,
  Resources.ConfigMap,
  Resources.Service,
  Resources.ServiceAccount,
  Resources.Deployment,
  Resources.CustomResourceDefinition,
  Resources.HorizontalPodAutoscaler,
  Resources.PodDisruptionBudget,
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  rbac('roles', 'Role', true),
  rbac('rolebindings', 'RoleBinding', true),
  rbac('clusterroles', 'ClusterRole', false),
  rbac('clusterrolebindings', 'ClusterRoleBinding', false),
  { group: 'flotilla.dev', version: 'v1alpha1', plural: 'microservices', kind: 'Microservice', namespaced: true },
];

export function resourceTypeOf(object: KubeObject): ResourceType {
  const [group, version] = object.apiVersion!.includes('/') ? object.apiVersion!.split('/') : ['', object.apiVersion!];
  const type = TYPES.find((t) => t.group === group && t.version === version && t.kind === object.kind);
  if (type === undefined) throw new Error(`manifests: no resource type known for ${object.apiVersion} ${object.kind}`);
  return type;
}

/** The objects of one folder, in file order (kustomization.yaml's `resources` when present). */
export function readManifests(dir: string): KubeObject[] {
  const kustomization = join(dir, 'kustomization.yaml');
  let files: string[];
  let namespace: string | undefined;
  if (existsSync(kustomization)) {
    const k = parse(readFileSync(kustomization, 'utf8')) as { resources?: string[]; namespace?: string };
    files = k.resources ?? [];
    namespace = k.namespace;
  } else {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
  }
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
      .map((doc) => doc.toJSON() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null)
      .map((object) => {
        if (namespace !== undefined && resourceTypeOf(object).namespaced) object.metadata = { ...object.metadata, namespace };
        return object;
      }),
  );
}

/** Server-side apply of every object, in order (the CRD and Namespace before what needs them). */
export async function applyManifests(client: KubeClient, objects: KubeObject[]): Promise<void> {
  for (const object of objects) await client.apply(resourceTypeOf(object), object, { force: true });
}
