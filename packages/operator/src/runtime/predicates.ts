// Filters for update events: which changes are worth a reconcile.
import type { KubeObject } from '@flotilla/kube';

export type UpdatePredicate<T extends KubeObject = KubeObject> = (oldObj: T, newObj: T) => boolean;

/**
 * Only spec changes (metadata.generation) or the start of a deletion. Status-only
 * writes, including our own, do not re-trigger the reconciler.
 */
export const generationChanged: UpdatePredicate = (oldObj, newObj) =>
  oldObj.metadata.generation !== newObj.metadata.generation ||
  (oldObj.metadata.deletionTimestamp === undefined) !== (newObj.metadata.deletionTimestamp === undefined);

/** Any change of the stored object. */
export const resourceVersionChanged: UpdatePredicate = (oldObj, newObj) =>
  oldObj.metadata.resourceVersion !== newObj.metadata.resourceVersion;
