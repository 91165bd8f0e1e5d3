/**
 * A strategic-merge patch as kustomize applies it to an object whose schema it does not know
 * (a custom resource such as a Microservice): maps merge key by key, `null` removes a key,
 * lists and scalars replace what was there. Built-in kinds merge some lists by key
 * (containers by name, …); that is not modelled, so a patch may not set lists on them.
 */
import { UnprocessableError } from '@flotilla/core';
import { isPlainObject, type Manifest, metadataOf } from './manifest.ts';

/** Group of a built-in Kubernetes API: the core group, a group without a dot, or one under k8s.io. */
export function isBuiltInGroup(group: string): boolean {
  return group === '' || !group.includes('.') || group === 'k8s.io' || group.endsWith('.k8s.io');
}

function containsList(value: unknown): boolean {
  if (Array.isArray(value)) return true;
  return isPlainObject(value) && Object.values(value).some(containsList);
}

function refuseDirectives(value: unknown, source: string, path: string): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) refuseDirectives(item, source, `${path}[${i}]`);
  }
  if (!isPlainObject(value)) return;
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$'))
      throw new UnprocessableError(`${source}: the directive ${path}.${key} is not something \`flotilla deploy render\` does`, { source });
    refuseDirectives(item, source, `${path}.${key}`);
  }
}

/** A copy of `value` without the keys a patch sets to null (they remove nothing where nothing was). */
function withoutNulls(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = withoutNulls(item);
  return out;
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  if (!isPlainObject(target)) return withoutNulls(structuredClone(patch));
  const out: Record<string, unknown> = { ...target };
  for (const [key, item] of Object.entries(patch)) {
    if (item === null) delete out[key];
    else out[key] = merge(out[key], item);
  }
  return out;
}

/**
 * `target` with `patch` merged in. The patch's apiVersion, kind, name and namespace only
 * select the target (or are ignored, for a patch with a `target`): they never change it.
 */
export function applyStrategicMerge(target: Manifest, patch: Manifest, builtIn: boolean, source: string): Manifest {
  refuseDirectives(patch, source, '');
  const body = structuredClone(patch);
  delete body.apiVersion;
  delete body.kind;
  const metadata = metadataOf(body);
  delete metadata.name;
  delete metadata.namespace;
  if (Object.keys(metadata).length === 0) delete body.metadata;
  if (builtIn && containsList(body))
    throw new UnprocessableError(
      `${source}: a patch that sets a list on a built-in kind (${String(target.kind)}) merges by kustomize's schema, which \`flotilla deploy render\` does not model; use \`kustomize build\``,
      { source },
    );
  return merge(target, body) as Manifest;
}
