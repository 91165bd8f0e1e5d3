// What an informer keeps of each object (client-go's TransformFunc). A transform runs once
// per object as it enters the cache, from a list or a watch event, and handlers see its
// result. The API server's bookkeeping (managedFields, the last-applied annotation) is
// often most of an object and no controller reads it; a shape keeps exactly the fields a
// reader uses and drops the rest.
import type { KubeObject, ObjectMeta } from './objects.ts';

/** Runs on every object entering an informer's cache; returns what the cache keeps. */
export type CacheTransform<T extends KubeObject = KubeObject> = (obj: T) => T;

/** What kubectl's client-side apply stores: the whole last applied object, as JSON text. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The fields to keep: `true` keeps a value whole; an object keeps only the keys it names,
 * each by its own shape. An array is kept element by element, each with the array's shape.
 */
export type Shape = true | { readonly [key: string]: Shape };

/** `value` cut down to `shape`; keys the value lacks stay absent. */
export function project(value: unknown, shape: Shape): unknown {
  if (shape === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => project(item, shape));
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) if (Object.hasOwn(source, key)) out[key] = project(source[key], shape[key]!);
  return out;
}

/** A transform keeping only `shape` of each object (metadata included: name what you need). */
export function keepOnly<T extends KubeObject>(shape: { readonly [key: string]: Shape }): CacheTransform<T> {
  return (obj) => project(obj, shape) as T;
}

/** The object without metadata.managedFields and the last-applied annotation; everything else stays. */
export function withoutBookkeeping<T extends KubeObject>(obj: T): T {
  const { managedFields: _managedFields, ...metadata } = obj.metadata as ObjectMeta & { managedFields?: unknown };
  if (metadata.annotations && Object.hasOwn(metadata.annotations, LAST_APPLIED_ANNOTATION)) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  return { ...obj, metadata };
}
