/**
 * The order `kustomize build` prints objects in (its "legacy" order): the kinds an apply
 * needs first (Namespace, CRDs, ServiceAccounts, RBAC, ConfigMaps, …) in a fixed order,
 * webhook configurations last, everything else between by group, version and kind; then
 * by namespace and name.
 */
import { type Manifest, type ResourceId, resourceId } from './manifest.ts';

const FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function rank(kind: string): number {
  const first = FIRST.indexOf(kind);
  if (first >= 0) return first - FIRST.length;
  const last = LAST.indexOf(kind);
  return last >= 0 ? last + 1 : 0;
}

function typeKey(id: ResourceId): string {
  return [id.group || '~G', id.version || '~V', id.kind || '~K'].join('_');
}

function objectKey(id: ResourceId): string {
  return [[id.kind, id.version || '[noVer]', id.group || '[noGrp]'].join('.'), id.namespace || '~X', id.name || '~N'].join('|');
}

/** Plain code-unit comparison, as Go compares strings. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIds(a: ResourceId, b: ResourceId): number {
  const sameType = a.group === b.group && a.version === b.version && a.kind === b.kind;
  if (!sameType) {
    const byRank = rank(a.kind) - rank(b.kind);
    if (byRank !== 0) return byRank;
    // Of two Namespace kinds, the one in the core group comes first.
    if (a.kind === 'Namespace' && b.kind === 'Namespace' && (a.group === '' || b.group === '')) return compare(typeKey(b), typeKey(a));
    return compare(typeKey(a), typeKey(b));
  }
  return compare(objectKey(a), objectKey(b));
}

export function sortLikeKustomize(manifests: Manifest[]): Manifest[] {
  return manifests
    .map((manifest) => ({ manifest, id: resourceId(manifest, 'render') }))
    .sort((a, b) => compareIds(a.id, b.id))
    .map((entry) => entry.manifest);
}
