// What the Database controller keeps of each cached object: exactly the fields its readers
// use. A Database loses its labels, annotations and managedFields; an application Secret
// its managedFields, the last-applied annotation and its type.
//
// Readers, and what they read:
// - the runtime: metadata.name/namespace (cache key), resourceVersion (relist diff),
//   generation and deletionTimestamp (update filter), ownerReferences (owner → key);
// - reconciler.ts: the Database's spec, status, uid, generation, deletionTimestamp,
//   finalizers, and resourceVersion (the finalizer patches test it); apiVersion and kind
//   (the Secret's owner reference, events);
// - controller.ts: spec.server.secretRef (the server Secret index);
// - bindings.ts: a Database's status, uid and deletionTimestamp; an application Secret's
//   data (the DSN and the hash that rolls the Pods) and its controlling owner;
// - reconciler.ts / app-secret.ts: whether the cached application Secret needs nothing
//   (its labels, annotations (the rotation it was made for), owner and data); a Secret to
//   be written is read from the API server first.
import { type CacheTransform, keepOnly, type KubeObject, type Shape, withoutBookkeeping } from '@flotilla/kube';

export const DATABASE_SHAPE = {
  apiVersion: true,
  kind: true,
  metadata: {
    name: true,
    namespace: true,
    uid: true,
    resourceVersion: true,
    generation: true,
    deletionTimestamp: true,
    finalizers: true,
  },
  spec: true,
  status: true,
} as const satisfies Shape;

export const APP_SECRET_SHAPE = {
  metadata: { name: true, namespace: true, resourceVersion: true, labels: true, annotations: true, ownerReferences: true },
  data: true,
} as const satisfies Shape;

export const databaseCacheTransform = keepOnly<KubeObject>(DATABASE_SHAPE);
const keepAppSecret = keepOnly<KubeObject>(APP_SECRET_SHAPE);
/** The shape, and no last-applied annotation should someone have applied one with kubectl. */
export const appSecretCacheTransform: CacheTransform = (obj) => withoutBookkeeping(keepAppSecret(obj));
