// What a Microservice refers to by name in its own namespace and must exist before its Pods
// can start: Secrets (env secretKeyRef), a ConfigMap (config.configMapRef) and a Database
// (spec.database.name, when the spec has that field).
import { Resources, type ResourceType } from '@flotilla/kube';
import { GROUP, type MicroserviceSpec } from '../microservice/types.ts';

export const DatabaseResource: ResourceType = {
  group: GROUP,
  version: 'v1alpha1',
  plural: 'databases',
  kind: 'Database',
  namespaced: true,
};

export interface Reference {
  /** where the name is written, e.g. spec.env[2].secretKeyRef.name */
  field: string;
  type: ResourceType;
  name: string;
  /** a Secret key that must be present */
  key?: { field: string; name: string };
}

/** The same object and key, wherever in the spec it is referenced. */
export const sameTarget = (a: Reference, b: Reference): boolean =>
  a.type.kind === b.type.kind && a.name === b.name && a.key?.name === b.key?.name;

export function referencesOf(spec: MicroserviceSpec | undefined): Reference[] {
  const out: Reference[] = [];
  for (const [index, entry] of (spec?.env ?? []).entries()) {
    const ref = entry.secretKeyRef;
    if (!ref) continue;
    const field = `spec.env[${index}].secretKeyRef`;
    out.push({ field: `${field}.name`, type: Resources.Secret, name: ref.name, key: { field: `${field}.key`, name: ref.key } });
  }
  const configMap = spec?.config?.configMapRef?.name;
  if (configMap) out.push({ field: 'spec.config.configMapRef.name', type: Resources.ConfigMap, name: configMap });
  // Read without relying on the field's type: without spec.database the check is inert.
  const database = (spec as { database?: { name?: unknown } } | undefined)?.database?.name;
  if (typeof database === 'string' && database !== '') out.push({ field: 'spec.database.name', type: DatabaseResource, name: database });
  return out;
}
