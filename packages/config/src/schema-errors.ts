/**
 * TypeBox validation errors as one readable problem per offending field, for
 * both config files and HTTP requests. Duplicates that a union or an
 * `additionalProperties: false` produce are folded into one line.
 */
import { patternMessage } from '@flotilla/core';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import { Settings } from 'typebox/system';

// TypeBox stops after 8 errors by default; a caller fixing a request or a file wants them all.
Settings.Set({ maxErrors: 100 });

export interface SchemaProblem {
  /** Property path from the root, e.g. ['database', 'pool', 'max']. */
  path: string[];
  rule: string;
  message: string;
}

interface RawError {
  keyword: string;
  instancePath: string;
  params: object;
  message: string;
}

export function schemaProblems(errors: RawError[]): SchemaProblem[] {
  // A value that is too short or too long needs no word on its pattern as well.
  const lengthPaths = new Set(errors.filter((e) => e.keyword === 'minLength' || e.keyword === 'maxLength').map((e) => e.instancePath));
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  const problems: SchemaProblem[] = [];
  for (const error of errors) {
    const path = error.instancePath
      .split('/')
      .filter(Boolean)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (error.keyword === 'boolean') continue; // repeated below as additionalProperties
    if (unionPaths.has(error.instancePath) && error.keyword !== 'anyOf' && error.keyword !== 'oneOf') continue;
    switch (error.keyword) {
      case 'additionalProperties':
        for (const name of (error.params as { additionalProperties: string[] }).additionalProperties)
          problems.push({ path: [...path, name], rule: 'unknown-field', message: 'is not a known field' });
        break;
      case 'required':
        for (const name of (error.params as { requiredProperties: string[] }).requiredProperties)
          problems.push({ path: [...path, name], rule: 'required', message: 'is required' });
        break;
      case 'enum':
        problems.push({
          path,
          rule: 'enum',
          message: `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`,
        });
        break;
      case 'pattern': {
        if (lengthPaths.has(error.instancePath)) break;
        const { pattern } = error.params as { pattern: string };
        problems.push({ path, rule: 'pattern', message: patternMessage(pattern) ?? error.message });
        break;
      }
      case 'anyOf':
      case 'oneOf':
        problems.push({ path, rule: error.keyword, message: 'does not match any of the allowed forms' });
        break;
      default:
        problems.push({ path, rule: error.keyword, message: error.message });
    }
  }
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path.join('.')}|${p.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface SchemaChecker {
  check(value: unknown): boolean;
  problems(value: unknown): SchemaProblem[];
}

/**
 * A checker compiled on its first use, then kept: a service declares one per
 * route and per gRPC method, and compiling them all at start costs the
 * start-up more than the first call to each route costs.
 */
export function compileChecker(schema: TSchema): SchemaChecker {
  let validator: ReturnType<typeof Compile> | undefined;
  const compiled = (): ReturnType<typeof Compile> => (validator ??= Compile(schema));
  return {
    check: (value) => compiled().Check(value),
    problems: (value) => schemaProblems(compiled().Errors(value)),
  };
}

/** A checker that interprets the schema: cheaper than compiling for a value checked once (a config document). */
export function interpretedChecker(schema: TSchema): SchemaChecker {
  return {
    check: (value) => Value.Check(schema, value),
    problems: (value) => schemaProblems(Value.Errors(schema, value)),
  };
}
