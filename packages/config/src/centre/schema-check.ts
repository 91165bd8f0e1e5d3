/**
 * Checking a document against a service's schema without running the
 * service: what `flotilla config set` does before it stores anything.
 *
 * `${VAR}` references are NOT resolved here (the tool must not need, read or
 * show the service's secrets): a reference with a default is checked with its
 * default; a key holding any other reference is left for the service to check
 * when it loads.
 */
import type { TSchema } from 'typebox';
import { parseAgainstSchema } from '../load.ts';
import { deepMerge, isPlainObject } from '../merge.ts';
import { ConfigError } from '../problems.ts';
import { parseConfigText } from './document.ts';
import type { ConfigLayer } from './layers.ts';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function checkAgainstSchema(service: string, schema: object, layers: ConfigLayer[]): void {
  let merged: unknown = {};
  for (const layer of layers) merged = deepMerge(merged, parseConfigText(layer.text, layer.source));
  const deferred: string[] = [];
  const substituted = substituteDefaults(merged, [], deferred);
  const source = layers.map((l) => l.source).join(', ') || 'defaults';
  try {
    parseAgainstSchema(service, source, schema as TSchema, substituted);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.filter((p) => !deferred.some((path) => p.key === path || p.key.startsWith(`${path}.`)));
    if (problems.length > 0) throw new ConfigError(service, source, problems);
  }
}

function substituteDefaults(value: unknown, path: string[], deferred: string[]): unknown {
  if (typeof value === 'string') {
    let unresolved = false;
    const result = value.replace(REFERENCE, (match, _name: string, fallback: string | undefined) => {
      if (fallback !== undefined) return fallback;
      unresolved = true;
      return match;
    });
    if (unresolved) deferred.push(path.join('.'));
    return result;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteDefaults(item, [...path, String(i)], deferred));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDefaults(v, [...path, k], deferred)]));
  return value;
}
