/**
 * The ConfigMaps of the kubernetes config centre, in one Kubernetes namespace:
 *
 *   flotilla-config.<ns>.<service>           the head: data `config.yaml` (the text as written),
 *                                            annotations: version, time, author, message, sha256
 *   flotilla-config.<ns>.<service>.history   data `0000000007.json`: the retained versions (bounded)
 *   flotilla-config.<ns>.<service>.schema    data `schema.json`: the service's config JSON Schema
 *
 * Every one is labelled with the Flotilla namespace and document, so a
 * namespace's documents are one label-selected LIST. A head whose text does
 * not match its sha256 annotation (or has none) was written by someone else,
 * e.g. `kubectl edit`: it reads as the next version, recorded by the next write.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '@flotilla/kube';
import { ValidationError } from '@flotilla/core';
import { checkName, padVersion } from './names.ts';
import type { ConfigDocument } from './types.ts';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export type ConfigPart = 'head' | 'history' | 'schema';

const PREFIX = 'config.flotilla.dev/';
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  namespace: `${PREFIX}namespace`,
  document: `${PREFIX}document`,
  part: `${PREFIX}part`,
} as const;
const ANNOTATIONS = {
  version: `${PREFIX}version`,
  time: `${PREFIX}time`,
  author: `${PREFIX}author`,
  message: `${PREFIX}message`,
  rollbackOf: `${PREFIX}rollback-of`,
  sha256: `${PREFIX}sha256`,
} as const;
export const TEXT_KEY = 'config.yaml';
export const SCHEMA_KEY = 'schema.json';
const OUTSIDE_AUTHOR = '(edited outside flotilla)';

/** Flotilla names may end in a dash; Kubernetes names and label values may not. */
function checkKubeName(kind: 'namespace' | 'service', value: string): string {
  checkName(kind, value);
  if (value.endsWith('-')) {
    const message = `${kind} "${value}" must not end with "-" on the kubernetes backend (it becomes part of a ConfigMap name and a label)`;
    throw new ValidationError([{ field: kind, rule: 'pattern', message }], message);
  }
  return value;
}

export function objectName(namespace: string, service: string, part: ConfigPart): string {
  const base = `flotilla-config.${checkKubeName('namespace', namespace)}.${checkKubeName('service', service)}`;
  return part === 'head' ? base : `${base}.${part}`;
}

export function namespaceSelector(namespace: string): string {
  return `${LABELS.namespace}=${checkKubeName('namespace', namespace)},${LABELS.part} in (head,schema)`;
}

function metadata(
  kubeNamespace: string,
  namespace: string,
  service: string,
  part: ConfigPart,
  resourceVersion: string | undefined,
): ConfigMap['metadata'] {
  return {
    name: objectName(namespace, service, part),
    namespace: kubeNamespace,
    labels: {
      [LABELS.managedBy]: 'flotilla',
      [LABELS.namespace]: namespace,
      [LABELS.document]: service,
      [LABELS.part]: part,
    },
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The head ConfigMap for `document`; with `resourceVersion` a PUT of it is a compare-and-set. */
export function headObject(kubeNamespace: string, document: ConfigDocument, resourceVersion?: string): ConfigMap {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.version]: String(document.version),
    [ANNOTATIONS.time]: document.time,
    [ANNOTATIONS.author]: document.author,
    [ANNOTATIONS.message]: document.message,
    [ANNOTATIONS.sha256]: sha256(document.text),
  };
  if (document.rollbackOf !== undefined) annotations[ANNOTATIONS.rollbackOf] = String(document.rollbackOf);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...metadata(kubeNamespace, document.namespace, document.service, 'head', resourceVersion),
      annotations,
    },
    data: { [TEXT_KEY]: document.text },
  };
}

export interface HeadDocument {
  document: ConfigDocument;
  /** Written by someone other than the store (the version is the one the next write records). */
  outside: boolean;
}

/** Reads a head ConfigMap; one without (matching) annotations counts as an outside edit. */
export function parseHead(object: ConfigMap, namespace: string, service: string): HeadDocument {
  const text = object.data?.[TEXT_KEY] ?? '';
  const notes = object.metadata.annotations ?? {};
  const recorded = Number(notes[ANNOTATIONS.version] ?? '0');
  const version = Number.isSafeInteger(recorded) && recorded > 0 ? recorded : 0;
  if (version > 0 && notes[ANNOTATIONS.sha256] === sha256(text)) {
    const rollbackOf = Number(notes[ANNOTATIONS.rollbackOf]);
    return {
      outside: false,
      document: {
        namespace,
        service,
        version,
        time: notes[ANNOTATIONS.time] ?? '',
        author: notes[ANNOTATIONS.author] ?? '',
        message: notes[ANNOTATIONS.message] ?? '',
        ...(Number.isSafeInteger(rollbackOf) && rollbackOf > 0 ? { rollbackOf } : {}),
        text,
      },
    };
  }
  const name = object.metadata.name ?? objectName(namespace, service, 'head');
  return {
    outside: true,
    document: {
      namespace,
      service,
      version: version + 1,
      time: lastWrite(object),
      author: OUTSIDE_AUTHOR,
      message: version === 0 ? `recorded the existing ConfigMap ${name}` : `recorded an edit of ConfigMap ${name} made outside flotilla`,
      text,
    },
  };
}

/** When the object was last written, from its managed fields (kept by the API server). */
function lastWrite(object: ConfigMap): string {
  const fields = (object.metadata as { managedFields?: Array<{ time?: string }> }).managedFields ?? [];
  const times = fields
    .map((f) => f.time)
    .filter((t): t is string => typeof t === 'string')
    .sort();
  return times.at(-1) ?? object.metadata.creationTimestamp ?? new Date(0).toISOString();
}

export function historyObject(
  kubeNamespace: string,
  namespace: string,
  service: string,
  data: Record<string, string>,
  resourceVersion?: string,
): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(kubeNamespace, namespace, service, 'history', resourceVersion),
    data,
  };
}

export function schemaObject(kubeNamespace: string, namespace: string, service: string, text: string, resourceVersion?: string): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(kubeNamespace, namespace, service, 'schema', resourceVersion),
    data: { [SCHEMA_KEY]: text },
  };
}

export function historyKey(version: number): string {
  return `${padVersion(version)}.json`;
}

/** The versions held in a history ConfigMap's data, oldest first; unreadable entries are skipped. */
export function historyDocuments(data: Record<string, string> | undefined): ConfigDocument[] {
  const documents: ConfigDocument[] = [];
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!/^\d{10}\.json$/.test(key)) continue;
    try {
      documents.push(JSON.parse(value) as ConfigDocument);
    } catch {
      // a hand-edited entry that is not JSON: not a version we can show
    }
  }
  return documents.sort((a, b) => a.version - b.version);
}
