import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { type KubeClient, type KubeObject, Resources, type ResourceType } from '@flotilla/kube';

const RBAC_TYPES: Record<string, ResourceType> = {
  ServiceAccount: Resources.ServiceAccount,
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true },
};

/** Creates the objects of an RBAC manifest file in `namespace`, the RoleBindings' subjects moved along (as kustomize does). */
export async function applyRbacManifest(client: KubeClient, file: string, namespace: string): Promise<void> {
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS() as KubeObject & { subjects?: Array<{ namespace?: string }> };
    const type = RBAC_TYPES[object.kind ?? ''];
    if (type === undefined) throw new Error(`${file}: unexpected kind ${object.kind}`);
    object.metadata.namespace = namespace;
    for (const subject of object.subjects ?? []) subject.namespace = namespace;
    await client.create(type, object);
  }
}
