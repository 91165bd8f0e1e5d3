/** A Kubernetes object as read from YAML, and the identity kustomize gives it (group, version, kind, namespace, name). */
import { UnprocessableError } from '@flotilla/core';

export type Manifest = Record<string, unknown>;

export interface ResourceId {
  group: string;
  version: string;
  kind: string;
  /** "" for none (cluster-scoped, or not set yet). */
  namespace: string;
  name: string;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `apps/v1` → `{ group: 'apps', version: 'v1' }`; `v1` → the core group (""). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The object's metadata, created when missing. */
export function metadataOf(manifest: Manifest): Record<string, unknown> {
  if (!isPlainObject(manifest.metadata)) manifest.metadata = {};
  return manifest.metadata as Record<string, unknown>;
}

/** Its identity; `source` names where it came from in the error for an object without apiVersion, kind or name. */
export function resourceId(manifest: Manifest, source: string): ResourceId {
  const { apiVersion, kind } = manifest;
  const metadata = isPlainObject(manifest.metadata) ? manifest.metadata : {};
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '')
    throw new UnprocessableError(`${source}: an object without apiVersion or kind`, { source });
  if (typeof metadata.name !== 'string' || metadata.name === '')
    throw new UnprocessableError(`${source}: a ${kind} without metadata.name`, { source });
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  return { ...splitApiVersion(apiVersion), kind, namespace, name: metadata.name };
}

/** kustomize treats no namespace and `default` as the same one when it matches objects. */
export function sameNamespace(a: string, b: string): boolean {
  return (a === '' ? 'default' : a) === (b === '' ? 'default' : b);
}

export function sameResource(a: ResourceId, b: ResourceId): boolean {
  return (
    a.group === b.group && a.version === b.version && a.kind === b.kind && a.name === b.name && sameNamespace(a.namespace, b.namespace)
  );
}

export function describeId(id: ResourceId): string {
  return `${id.kind} ${id.namespace === '' ? '' : `${id.namespace}/`}${id.name}`;
}

/** Refuses a second object with the identity of one already there, as kustomize does. */
export function refuseDuplicates(manifests: Manifest[], source: string): void {
  const seen: ResourceId[] = [];
  for (const manifest of manifests) {
    const id = resourceId(manifest, source);
    if (seen.some((other) => sameResource(other, id)))
      throw new UnprocessableError(`${source}: ${describeId(id)} is defined twice`, { source, resource: describeId(id) });
    seen.push(id);
  }
}
