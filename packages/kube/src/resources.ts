// Which API resource a request or a watch is about, and the URL paths for it.

export interface ResourceType {
  /** '' for the core group */
  group: string;
  version: string;
  /** plural resource name, e.g. 'deployments' */
  plural: string;
  kind: string;
  namespaced: boolean;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

function groupPrefix(type: ResourceType): string {
  return type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
}

/** Collection URL; without a namespace a namespaced type is listed across all namespaces. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupPrefix(type)}${ns}/${type.plural}`;
}

export function objectPath(type: ResourceType, namespace: string | undefined, name: string, subresource?: string): string {
  if (type.namespaced && !namespace) throw new Error(`${type.kind} ${name}: a namespace is required`);
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

const t = (group: string, version: string, plural: string, kind: string, namespaced = true): ResourceType => ({
  group,
  version,
  plural,
  kind,
  namespaced,
});

/** Built-in types Flotilla reads or writes. */
export const Resources = {
  Namespace: t('', 'v1', 'namespaces', 'Namespace', false),
  ConfigMap: t('', 'v1', 'configmaps', 'ConfigMap'),
  Service: t('', 'v1', 'services', 'Service'),
  Event: t('', 'v1', 'events', 'Event'),
  Pod: t('', 'v1', 'pods', 'Pod'),
  ServiceAccount: t('', 'v1', 'serviceaccounts', 'ServiceAccount'),
  Secret: t('', 'v1', 'secrets', 'Secret'),
  EndpointSlice: t('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  Deployment: t('apps', 'v1', 'deployments', 'Deployment'),
  ReplicaSet: t('apps', 'v1', 'replicasets', 'ReplicaSet'),
  HorizontalPodAutoscaler: t('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  PodDisruptionBudget: t('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget'),
  Lease: t('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  CustomResourceDefinition: t('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
} as const satisfies Record<string, ResourceType>;
