/**
 * kustomize's namespace transformer: every namespaced object moves to the namespace; a
 * `namespace:` field also renames Namespace objects to it. RoleBinding and
 * ClusterRoleBinding subjects move by the mode: `defaultOnly` (kustomize's default) only
 * subjects named "default", `allServiceAccounts` every ServiceAccount subject, `none` none.
 */
import { UnprocessableError } from '@flotilla/core';
import { isPlainObject, type Manifest, metadataOf, splitApiVersion } from './manifest.ts';

export type SubjectMode = 'defaultOnly' | 'allServiceAccounts' | 'none';

/** Cluster-scoped kinds of the Kubernetes API, by group; any other kind (a custom resource too) is namespaced. */
const CLUSTER_SCOPED: Record<string, string[]> = {
  '': ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'admissionregistration.k8s.io': [
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ],
  'storage.k8s.io': ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment'],
  'scheduling.k8s.io': ['PriorityClass'],
  'networking.k8s.io': ['IngressClass'],
  'node.k8s.io': ['RuntimeClass'],
  'certificates.k8s.io': ['CertificateSigningRequest'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
  'authentication.k8s.io': ['TokenReview', 'SelfSubjectReview'],
  'authorization.k8s.io': ['SubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview'],
  policy: ['PodSecurityPolicy'],
};

export function isClusterScoped(manifest: Manifest): boolean {
  const { group } = splitApiVersion(String(manifest.apiVersion));
  return CLUSTER_SCOPED[group]?.includes(String(manifest.kind)) ?? false;
}

export interface NamespaceOptions {
  subjects: SubjectMode;
  /** The `namespace:` field's behaviour: Namespace objects take the name, services of APIServices and CRD webhooks follow. */
  followReferences: boolean;
}

export function setNamespace(manifests: Manifest[], namespace: string, options: NamespaceOptions): void {
  for (const manifest of manifests) {
    const kind = String(manifest.kind);
    if (!isClusterScoped(manifest)) metadataOf(manifest).namespace = namespace;
    if (options.followReferences) followReferences(manifest, namespace);
    if ((kind === 'RoleBinding' || kind === 'ClusterRoleBinding') && Array.isArray(manifest.subjects)) {
      for (const subject of manifest.subjects) {
        if (!isPlainObject(subject)) continue;
        const moves =
          options.subjects === 'allServiceAccounts'
            ? subject.kind === 'ServiceAccount'
            : options.subjects === 'defaultOnly' && subject.name === 'default';
        if (moves) subject.namespace = namespace;
      }
    }
  }
}

function followReferences(manifest: Manifest, namespace: string): void {
  const { group } = splitApiVersion(String(manifest.apiVersion));
  if (manifest.kind === 'Namespace' && manifest.apiVersion === 'v1') metadataOf(manifest).name = namespace;
  if (manifest.kind === 'APIService' && group === 'apiregistration.k8s.io') {
    if (!isPlainObject(manifest.spec)) manifest.spec = {};
    const spec = manifest.spec as Record<string, unknown>;
    if (!isPlainObject(spec.service)) spec.service = {};
    (spec.service as Record<string, unknown>).namespace = namespace;
  }
  if (manifest.kind === 'CustomResourceDefinition' && group === 'apiextensions.k8s.io') {
    const service = at(manifest, ['spec', 'conversion', 'webhook', 'clientConfig', 'service']);
    if (service !== undefined && 'namespace' in service) service.namespace = namespace;
  }
}

function at(value: unknown, path: string[]): Record<string, unknown> | undefined {
  let node = value;
  for (const key of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return isPlainObject(node) ? node : undefined;
}

/** A NamespaceTransformer listed under `transformers:` (inline or in a file). */
export function namespaceTransformer(config: unknown, source: string): { namespace: string; options: NamespaceOptions } {
  const refuse = (rule: string): UnprocessableError => new UnprocessableError(`${source}: ${rule}`, { source });
  if (!isPlainObject(config) || config.apiVersion !== 'builtin' || config.kind !== 'NamespaceTransformer')
    throw refuse('the only transformer `flotilla deploy render` runs is `apiVersion: builtin, kind: NamespaceTransformer`');
  for (const key of Object.keys(config)) {
    if (!['apiVersion', 'kind', 'metadata', 'setRoleBindingSubjects', 'unsetOnly'].includes(key))
      throw refuse(`NamespaceTransformer field ${key} is not something \`flotilla deploy render\` does`);
  }
  if (config.unsetOnly === true) throw refuse('NamespaceTransformer unsetOnly: true is not something `flotilla deploy render` does');
  const namespace = isPlainObject(config.metadata) ? config.metadata.namespace : undefined;
  if (typeof namespace !== 'string' || namespace === '') throw refuse('NamespaceTransformer needs metadata.namespace');
  const mode = config.setRoleBindingSubjects ?? 'defaultOnly';
  if (mode !== 'defaultOnly' && mode !== 'allServiceAccounts' && mode !== 'none')
    throw refuse('setRoleBindingSubjects must be defaultOnly, allServiceAccounts or none');
  return { namespace, options: { subjects: mode, followReferences: false } };
}
