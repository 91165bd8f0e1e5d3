// Finalizers are added and removed with a JSON patch that first tests the
// resourceVersion: if anyone changed the object since we read it, the patch fails (422)
// instead of overwriting their finalizers; the caller re-reads and retries.
import type { KubeClient, KubeObject, ResourceType } from '@flotilla/kube';

function guard(obj: KubeObject): { op: 'test'; path: string; value: string } {
  if (!obj.metadata.resourceVersion) throw new Error('finalizer patch needs the object resourceVersion');
  return { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion };
}

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

/** Appends `finalizer` unless present; returns the updated object. */
export async function addFinalizer<T extends KubeObject>(client: KubeClient, type: ResourceType, obj: T, finalizer: string): Promise<T> {
  if (hasFinalizer(obj, finalizer)) return obj;
  const ops = obj.metadata.finalizers
    ? [guard(obj), { op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
    : [guard(obj), { op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
  return await client.patch<T>(type, obj.metadata.namespace, obj.metadata.name ?? '', ops, 'json');
}

/** Removes `finalizer` by index, tested against its value and the resourceVersion. */
export async function removeFinalizer<T extends KubeObject>(client: KubeClient, type: ResourceType, obj: T, finalizer: string): Promise<T> {
  const index = obj.metadata.finalizers?.indexOf(finalizer) ?? -1;
  if (index < 0) return obj;
  const ops = [
    guard(obj),
    { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ];
  return await client.patch<T>(type, obj.metadata.namespace, obj.metadata.name ?? '', ops, 'json');
}
