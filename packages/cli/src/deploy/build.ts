/**
 * `kustomize build` of one folder, for the kustomize features deploy/kubernetes uses, in
 * kustomize's order of work: resources (files, and folders built the same way), then
 * generated ConfigMaps, then patches, the `namespace:` field and the transformers; the
 * objects of the top folder come out in kustomize's print order.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UnprocessableError } from '@flotilla/core';
import { generateConfigMap } from './config-map-generator.ts';
import { type Kustomization, readKustomization } from './kustomization.ts';
import { isPlainObject, type Manifest, refuseDuplicates } from './manifest.ts';
import { namespaceTransformer, setNamespace } from './namespace.ts';
import { applyPatch } from './patches.ts';
import { insideOf } from './paths.ts';
import { sortLikeKustomize } from './resource-order.ts';
import { parseDocuments, readDocuments } from './yaml-files.ts';

/** The objects `kustomize build dir` prints, in its order; no file outside `bounds` is read. */
export function buildKustomization(dir: string, bounds: string): Manifest[] {
  return sortLikeKustomize(build(resolve(dir), resolve(bounds), []));
}

function build(dir: string, bounds: string, visiting: string[]): Manifest[] {
  if (visiting.includes(dir)) throw new UnprocessableError(`${dir}: the kustomizations include each other`, { dir });
  const kustomization = readKustomization(dir);
  const source = kustomization.file;
  let manifests = kustomization.resources.flatMap((entry) => resource(kustomization, entry, bounds, [...visiting, dir]));
  manifests.push(
    ...kustomization.configMapGenerator.map((args) => generateConfigMap(args, kustomization.generatorOptions, dir, bounds, source)),
  );
  refuseDuplicates(manifests, source);
  for (const entry of kustomization.patches) manifests = applyPatch(manifests, entry, dir, bounds, source);
  if (kustomization.namespace !== undefined && kustomization.namespace !== '')
    setNamespace(manifests, kustomization.namespace, { subjects: 'defaultOnly', followReferences: true });
  for (const entry of kustomization.transformers) {
    const { namespace, options } = namespaceTransformer(transformerConfig(kustomization, entry, bounds), source);
    setNamespace(manifests, namespace, options);
  }
  refuseDuplicates(manifests, source);
  return manifests;
}

function resource(kustomization: Kustomization, entry: string, bounds: string, visiting: string[]): Manifest[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith('git@'))
    throw new UnprocessableError(`${kustomization.file}: remote resource ${entry} is not something \`flotilla deploy render\` does`, {
      source: kustomization.file,
    });
  const path = insideOf(bounds, resolve(kustomization.dir, entry), kustomization.file);
  if (existsSync(path) && statSync(path).isDirectory()) return build(path, bounds, visiting);
  return readDocuments(path, kustomization.file).map((document) => {
    if (!isPlainObject(document)) throw new UnprocessableError(`${path}: every document must be a Kubernetes object`, { source: path });
    return document;
  });
}

/** kustomize reads a `transformers:` entry as inline YAML when it parses as an object, else as a file. */
function transformerConfig(kustomization: Kustomization, entry: string, bounds: string): unknown {
  if (entry.includes('\n')) {
    const [config, extra] = parseDocuments(entry, `${kustomization.file} (inline transformer)`);
    if (extra !== undefined)
      throw new UnprocessableError(`${kustomization.file}: one transformer per entry`, { source: kustomization.file });
    return config;
  }
  const file = insideOf(bounds, resolve(kustomization.dir, entry), kustomization.file);
  const [config, extra] = readDocuments(file, kustomization.file);
  if (extra !== undefined) throw new UnprocessableError(`${file}: one transformer per file`, { source: file });
  return config;
}
