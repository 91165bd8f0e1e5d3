// Owner references: making them, and mapping an owned object back to its owner's key.
import { controllerOf, type KubeObject, type OwnerReference } from '@flotilla/kube';

/** A controller reference to `owner` (blocks the owner's foreground deletion, GC follows it). */
export function controllerReference(owner: KubeObject): OwnerReference {
  if (!owner.apiVersion || !owner.kind || !owner.metadata.name || !owner.metadata.uid) {
    throw new Error('controllerReference: the owner needs apiVersion, kind, name and uid');
  }
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The work-queue key of the owner of kind `ownerKind` (in `ownerGroup`) controlling `obj`, if any. */
export function ownerKey(obj: KubeObject, ownerGroup: string, ownerKind: string): string | undefined {
  const ref = controllerOf(obj);
  if (!ref || ref.kind !== ownerKind) return undefined;
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  if (group !== ownerGroup) return undefined;
  // Owners are in the same namespace as what they own (or cluster-scoped).
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name;
}
