import type { KubeObject } from '@flotilla/kube';

// Has an owned object drifted from what we want? True when some field we set differs in
// the live object. The API server adds defaults we never set, so the check is "desired
// is contained in actual", not equality.

export function containedIn(desired: unknown, actual: unknown): boolean {
  if (desired === null || typeof desired !== 'object') return desired === actual;
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual) || actual.length !== desired.length) return false;
    return desired.every((item, i) => containedIn(item, actual[i]));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  const live = actual as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([key, value]) => containedIn(value, live[key]));
}

/** Compares the parts we manage: labels, owner references and everything outside metadata. */
export function hasDrifted(desired: KubeObject & Record<string, unknown>, actual: Record<string, unknown> | undefined): boolean {
  if (!actual) return true;
  const { metadata, apiVersion: _a, kind: _k, ...body } = desired;
  const liveMeta = (actual.metadata ?? {}) as Record<string, unknown>;
  if (!containedIn(metadata.labels ?? {}, liveMeta.labels ?? {})) return true;
  const refs = (metadata.ownerReferences ?? []) as { uid: string }[];
  const liveRefs = (liveMeta.ownerReferences ?? []) as { uid: string }[];
  if (!refs.every((ref) => liveRefs.some((live) => live.uid === ref.uid))) return true;
  return !containedIn(body, actual);
}
