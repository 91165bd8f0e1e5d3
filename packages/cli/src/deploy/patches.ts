/**
 * A kustomization's `patches`, strategic merge only: without a target each patch changes the
 * one object with its apiVersion, kind, name (and namespace); with a target, every object
 * the target selects (name and namespace are regular expressions of the whole value).
 */
import { resolve } from 'node:path';
import { UnprocessableError } from '@flotilla/core';
import type { PatchEntry, PatchTarget } from './kustomization.ts';
import { describeId, isPlainObject, type Manifest, type ResourceId, resourceId, sameResource } from './manifest.ts';
import { insideOf } from './paths.ts';
import { applyStrategicMerge, isBuiltInGroup } from './strategic-merge.ts';
import { parseDocuments, readText } from './yaml-files.ts';

function patchDocuments(entry: PatchEntry, dir: string, bounds: string, source: string): { documents: Manifest[]; where: string } {
  const where = entry.path === undefined ? `${source} (inline patch)` : insideOf(bounds, resolve(dir, entry.path), source);
  const text = entry.path === undefined ? (entry.patch as string) : readText(where, source);
  const documents = parseDocuments(text, where).map((document) => {
    if (Array.isArray(document))
      throw new UnprocessableError(
        `${where}: JSON 6902 patches are not something \`flotilla deploy render\` does; write a strategic-merge patch`,
        {
          source: where,
        },
      );
    if (!isPlainObject(document)) throw new UnprocessableError(`${where}: a patch must be a YAML mapping`, { source: where });
    return document;
  });
  return { documents, where };
}

function wholeMatch(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    throw new UnprocessableError(`patch target "${pattern}" is not a regular expression`, { pattern });
  }
}

function selects(target: PatchTarget, id: ResourceId): boolean {
  return (
    (target.group === undefined || target.group === '' || target.group === id.group) &&
    (target.version === undefined || target.version === '' || target.version === id.version) &&
    (target.kind === undefined || target.kind === '' || target.kind === id.kind) &&
    wholeMatch(target.name, id.name) &&
    wholeMatch(target.namespace, id.namespace)
  );
}

export function applyPatch(manifests: Manifest[], entry: PatchEntry, dir: string, bounds: string, source: string): Manifest[] {
  const { documents, where } = patchDocuments(entry, dir, bounds, source);
  const ids = manifests.map((manifest) => resourceId(manifest, source));
  const out = [...manifests];
  const patchOne = (index: number, patch: Manifest): void => {
    const id = ids[index] as ResourceId;
    out[index] = applyStrategicMerge(out[index] as Manifest, patch, isBuiltInGroup(id.group), where);
  };
  if (entry.target !== undefined) {
    if (documents.length !== 1) throw new UnprocessableError(`${where}: a patch with a target must be one document`, { source: where });
    const target = entry.target;
    ids.forEach((id, index) => {
      if (selects(target, id)) patchOne(index, documents[0] as Manifest);
    });
    return out;
  }
  for (const patch of documents) {
    const wanted = resourceId(patch, where);
    const matches = ids.flatMap((id, index) => (sameResource(id, wanted) ? [index] : []));
    if (matches.length !== 1)
      throw new UnprocessableError(`${where}: no single object matches the patch for ${describeId(wanted)} (${matches.length} do)`, {
        source: where,
      });
    patchOne(matches[0] as number, patch);
  }
  return out;
}
