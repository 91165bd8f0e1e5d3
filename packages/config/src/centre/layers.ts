/**
 * Builds a service's config from the centre's documents, the same way
 * loadConfig builds it from files: schema defaults < base layers (e.g. the
 * files, when the centre is etcd) < `shared` < `<service>` < environment,
 * with `${VAR}` resolved here and only here.
 */
import type { Static, TSchema } from 'typebox';
import { readEnvOverrides } from '../env-overrides.ts';
import { interpolate } from '../interpolate.ts';
import { parseAgainstSchema } from '../load.ts';
import { deepMerge } from '../merge.ts';
import { ConfigError, type ConfigProblem } from '../problems.ts';
import { parseConfigText } from './document.ts';

export interface ConfigLayer {
  /** For messages: a file path or `etcd dev/users@7`. */
  source: string;
  text: string;
}

export function buildServiceConfig<S extends TSchema>(
  service: string,
  schema: S,
  layers: ConfigLayer[],
  env: Record<string, string | undefined>,
): Static<S> {
  const problems: ConfigProblem[] = [];
  let merged: unknown = {};
  for (const layer of layers) merged = deepMerge(merged, interpolate(parseConfigText(layer.text, layer.source), env, problems));
  merged = deepMerge(merged, readEnvOverrides(service, env));
  const source = layers.length > 0 ? layers.map((l) => l.source).join(', ') : 'defaults and environment';
  if (problems.length > 0) throw new ConfigError(service, source, problems);
  return parseAgainstSchema(service, source, schema, merged);
}
