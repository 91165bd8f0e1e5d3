/**
 * A kustomization file, read and checked against the part of kustomize that `flotilla deploy
 * render` carries out: resources, namespace, patches (strategic merge), configMapGenerator
 * with generatorOptions, and NamespaceTransformer transformers. Anything else is refused by
 * name, so a kustomization using more never renders differently from `kustomize build`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, UnprocessableError } from '@flotilla/core';
import { isPlainObject } from './manifest.ts';
import { readDocuments } from './yaml-files.ts';

export interface GeneratorOptions {
  disableNameSuffixHash?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ConfigMapArgs {
  name: string;
  namespace?: string;
  /** `key=path` or `path` (the key is then the file's name). */
  files: string[];
  options?: GeneratorOptions;
}

export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  /** Regular expressions matched against the whole name / namespace, as in kustomize. */
  name?: string;
  namespace?: string;
}

export interface PatchEntry {
  path?: string;
  patch?: string;
  target?: PatchTarget;
}

export interface Kustomization {
  /** The file it was read from. */
  file: string;
  /** Its folder: paths in it are relative to this. */
  dir: string;
  namespace?: string;
  resources: string[];
  patches: PatchEntry[];
  /** Inline YAML or a file, each a NamespaceTransformer. */
  transformers: string[];
  configMapGenerator: ConfigMapArgs[];
  generatorOptions?: GeneratorOptions;
}

const FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'patches',
  'transformers',
  'configMapGenerator',
  'generatorOptions',
]);

export function kustomizationFile(dir: string): string | undefined {
  return FILE_NAMES.map((name) => join(dir, name)).find((file) => existsSync(file));
}

export function readKustomization(dir: string): Kustomization {
  const file = kustomizationFile(dir);
  if (file === undefined) throw new NotFoundError(`no kustomization.yaml in ${dir}`);
  const documents = readDocuments(file, file);
  const raw = documents[0] ?? {};
  if (documents.length > 1 || !isPlainObject(raw)) throw new UnprocessableError(`${file}: must be one YAML mapping`, { file });
  const problem = (field: string, rule: string): UnprocessableError => new UnprocessableError(`${file}: ${field} ${rule}`, { file, field });
  for (const field of Object.keys(raw)) {
    if (!FIELDS.has(field))
      throw problem(field, 'is not something `flotilla deploy render` does; render it with `kustomize build` instead');
  }
  if (raw.kind !== undefined && raw.kind !== 'Kustomization') throw problem('kind', 'must be Kustomization');
  if (raw.namespace !== undefined && typeof raw.namespace !== 'string') throw problem('namespace', 'must be a string');
  const kustomization: Kustomization = {
    file,
    dir,
    resources: stringList(raw.resources, 'resources', problem),
    patches: list(raw.patches, 'patches', problem).map((entry, i) => patchEntry(entry, `patches[${i}]`, problem)),
    transformers: stringList(raw.transformers, 'transformers', problem),
    configMapGenerator: list(raw.configMapGenerator, 'configMapGenerator', problem).map((entry, i) =>
      configMapArgs(entry, `configMapGenerator[${i}]`, problem),
    ),
  };
  if (typeof raw.namespace === 'string') kustomization.namespace = raw.namespace;
  if (raw.generatorOptions !== undefined)
    kustomization.generatorOptions = generatorOptions(raw.generatorOptions, 'generatorOptions', problem);
  return kustomization;
}

type Problem = (field: string, rule: string) => UnprocessableError;

function list(value: unknown, field: string, problem: Problem): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw problem(field, 'must be a list');
  return value;
}

function stringList(value: unknown, field: string, problem: Problem): string[] {
  return list(value, field, problem).map((item, i) => {
    if (typeof item !== 'string' || item === '') throw problem(`${field}[${i}]`, 'must be a non-empty string');
    return item;
  });
}

function onlyFields(value: unknown, field: string, allowed: string[], problem: Problem): Record<string, unknown> {
  if (!isPlainObject(value)) throw problem(field, 'must be a mapping');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw problem(`${field}.${key}`, 'is not something `flotilla deploy render` does; use `kustomize build`');
  }
  return value;
}

function optionalString(value: Record<string, unknown>, key: string, field: string, problem: Problem): string | undefined {
  const item = value[key];
  if (item === undefined) return undefined;
  if (typeof item !== 'string') throw problem(`${field}.${key}`, 'must be a string');
  return item;
}

function patchEntry(value: unknown, field: string, problem: Problem): PatchEntry {
  const entry = onlyFields(value, field, ['path', 'patch', 'target'], problem);
  const path = optionalString(entry, 'path', field, problem);
  const patch = optionalString(entry, 'patch', field, problem);
  if ((path === undefined) === (patch === undefined)) throw problem(field, 'needs exactly one of path and patch');
  const result: PatchEntry = path === undefined ? { patch: patch as string } : { path };
  if (entry.target !== undefined) {
    const raw = onlyFields(entry.target, `${field}.target`, ['group', 'version', 'kind', 'name', 'namespace'], problem);
    const target: PatchTarget = {};
    for (const key of ['group', 'version', 'kind', 'name', 'namespace'] as const) {
      const item = optionalString(raw, key, `${field}.target`, problem);
      if (item !== undefined) target[key] = item;
    }
    result.target = target;
  }
  return result;
}

function stringMap(value: unknown, field: string, problem: Problem): Record<string, string> {
  if (!isPlainObject(value)) throw problem(field, 'must be a mapping of strings');
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw problem(`${field}.${key}`, 'must be a string');
  }
  return value as Record<string, string>;
}

function generatorOptions(value: unknown, field: string, problem: Problem): GeneratorOptions {
  const raw = onlyFields(value, field, ['disableNameSuffixHash', 'labels', 'annotations'], problem);
  const options: GeneratorOptions = {};
  if (raw.disableNameSuffixHash !== undefined) {
    if (typeof raw.disableNameSuffixHash !== 'boolean') throw problem(`${field}.disableNameSuffixHash`, 'must be true or false');
    options.disableNameSuffixHash = raw.disableNameSuffixHash;
  }
  if (raw.labels !== undefined) options.labels = stringMap(raw.labels, `${field}.labels`, problem);
  if (raw.annotations !== undefined) options.annotations = stringMap(raw.annotations, `${field}.annotations`, problem);
  return options;
}

function configMapArgs(value: unknown, field: string, problem: Problem): ConfigMapArgs {
  const raw = onlyFields(value, field, ['name', 'namespace', 'behavior', 'files', 'options'], problem);
  const name = optionalString(raw, 'name', field, problem);
  if (name === undefined || name === '') throw problem(`${field}.name`, 'is required');
  const behavior = optionalString(raw, 'behavior', field, problem);
  if (behavior !== undefined && behavior !== 'create') throw problem(`${field}.behavior`, 'may only be "create" here');
  const args: ConfigMapArgs = { name, files: stringList(raw.files, `${field}.files`, problem) };
  const namespace = optionalString(raw, 'namespace', field, problem);
  if (namespace !== undefined) args.namespace = namespace;
  if (raw.options !== undefined) args.options = generatorOptions(raw.options, `${field}.options`, problem);
  return args;
}
