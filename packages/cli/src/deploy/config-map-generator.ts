/**
 * kustomize's configMapGenerator for files: a ConfigMap whose data holds each file's text
 * under its key. Only fixed names (`disableNameSuffixHash: true`): a hashed name would need
 * every reference to it rewritten, which `flotilla deploy render` does not do.
 */
import { basename, resolve } from 'node:path';
import { UnprocessableError } from '@flotilla/core';
import type { ConfigMapArgs, GeneratorOptions } from './kustomization.ts';
import type { Manifest } from './manifest.ts';
import { insideOf } from './paths.ts';
import { readText } from './yaml-files.ts';

const KEY = /^[-._a-zA-Z0-9]+$/;

/** kustomize's rule: the generator's own labels and annotations win over generatorOptions'. */
function mergeOptions(local: GeneratorOptions | undefined, global: GeneratorOptions | undefined): GeneratorOptions {
  return {
    disableNameSuffixHash: (local?.disableNameSuffixHash ?? false) || (global?.disableNameSuffixHash ?? false),
    labels: { ...global?.labels, ...local?.labels },
    annotations: { ...global?.annotations, ...local?.annotations },
  };
}

export function generateConfigMap(
  args: ConfigMapArgs,
  global: GeneratorOptions | undefined,
  dir: string,
  bounds: string,
  source: string,
): Manifest {
  const where = `${source}: configMapGenerator ${args.name}`;
  const options = mergeOptions(args.options, global);
  if (!options.disableNameSuffixHash)
    throw new UnprocessableError(
      `${where}: needs disableNameSuffixHash: true (in its options or generatorOptions); \`flotilla deploy render\` does not make hashed names`,
      { source },
    );
  const data: Record<string, string> = {};
  for (const entry of args.files) {
    const equals = entry.indexOf('=');
    const path = equals < 0 ? entry : entry.slice(equals + 1);
    const file = insideOf(bounds, resolve(dir, path), where);
    const key = equals < 0 ? basename(path) : entry.slice(0, equals);
    if (!KEY.test(key)) throw new UnprocessableError(`${where}: "${key}" is not a valid ConfigMap key`, { source });
    if (key in data) throw new UnprocessableError(`${where}: the key "${key}" is given twice`, { source });
    data[key] = readText(file, where);
  }
  const metadata: Record<string, unknown> = { name: args.name };
  if (args.namespace !== undefined) metadata.namespace = args.namespace;
  if (Object.keys(options.labels ?? {}).length > 0) metadata.labels = options.labels;
  if (Object.keys(options.annotations ?? {}).length > 0) metadata.annotations = options.annotations;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
}
