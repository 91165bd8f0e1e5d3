/**
 * Layered, schema-typed configuration:
 *   schema defaults < config/<ns>/shared.yaml < config/<ns>/<service>.yaml < environment
 * with `${VAR}` interpolation in the files. The result is validated against the
 * service's TypeBox schema; every problem is reported at once, secrets masked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Static, TSchema } from 'typebox';
import Value from 'typebox/value';
import { parseDocument } from 'yaml';
import { interpretedChecker } from './schema-errors.ts';
import { readEnvOverrides } from './env-overrides.ts';
import { interpolate } from './interpolate.ts';
import { deepMerge, isPlainObject } from './merge.ts';
import { ConfigError, type ConfigProblem } from './problems.ts';

export interface LoadConfigOptions<S extends TSchema> {
  service: string;
  schema: S;
  /** Environment namespace; defaults to `FLOTILLA_ENV` or `dev`. */
  namespace?: string;
  /** Folder holding `<namespace>/<service>.yaml`; defaults to `FLOTILLA_CONFIG_DIR` or `./config`. */
  dir?: string;
  env?: Record<string, string | undefined>;
}

export interface LoadedConfig<S extends TSchema> {
  value: Static<S>;
  namespace: string;
  /** Files that contributed, lowest precedence first. */
  sources: string[];
}

const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function resolveNamespace(env: Record<string, string | undefined> = process.env, explicit?: string): string {
  const namespace = explicit ?? env.FLOTILLA_ENV ?? 'dev';
  if (!NAMESPACE.test(namespace)) {
    throw new ConfigError('flotilla', 'FLOTILLA_ENV', [
      { key: 'FLOTILLA_ENV', value: namespace, rule: 'must be a lower-case name of letters, digits and dashes' },
    ]);
  }
  return namespace;
}

export function loadConfig<S extends TSchema>(options: LoadConfigOptions<S>): LoadedConfig<S> {
  const env = options.env ?? process.env;
  const namespace = resolveNamespace(env, options.namespace);
  const dir = resolve(options.dir ?? env.FLOTILLA_CONFIG_DIR ?? 'config');
  const problems: ConfigProblem[] = [];
  const sources: string[] = [];

  let merged: unknown = {};
  for (const file of [join(dir, namespace, 'shared.yaml'), join(dir, namespace, `${options.service}.yaml`)]) {
    const document = readYaml(options.service, file);
    if (document === undefined) continue;
    sources.push(file);
    merged = deepMerge(merged, interpolate(document, env, problems));
  }
  merged = deepMerge(merged, readEnvOverrides(options.service, env));
  const source = sources.length > 0 ? sources.join(', ') : 'defaults and environment';
  if (problems.length > 0) throw new ConfigError(options.service, source, problems);

  const value = parseAgainstSchema(options.service, source, options.schema, merged);
  return { value, namespace, sources };
}

/** Applies defaults and type conversion, then validates; throws ConfigError listing every problem. */
export function parseAgainstSchema<S extends TSchema>(service: string, source: string, schema: S, input: unknown): Static<S> {
  const withDefaults = Value.Default(schema, Value.Clone(input));
  const converted = Value.Convert(schema, withDefaults);
  // Checked once: interpreting costs less than compiling first.
  const checker = interpretedChecker(schema);
  if (checker.check(converted)) return converted as Static<S>;
  const problems: ConfigProblem[] = checker
    .problems(converted)
    .map((p) => ({ key: p.path.join('.'), value: lookup(converted, p.path), rule: p.message }));
  throw new ConfigError(service, source, problems);
}

function readYaml(service: string, file: string): unknown {
  if (!existsSync(file)) return undefined;
  const document = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      service,
      file,
      document.errors.map((e) => ({ key: '(file)', value: undefined, rule: e.message })),
    );
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError(service, file, [{ key: '(file)', value: undefined, rule: 'must be a YAML mapping' }]);
  return value;
}

function lookup(value: unknown, path: string[]): unknown {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
