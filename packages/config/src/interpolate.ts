/**
 * `${VAR}` and `${VAR:-default}` interpolation over every string in a parsed
 * config document. A reference to an unset variable without a default is a
 * problem reported against the key that holds it, never silently empty.
 */
import type { ConfigProblem } from './problems.ts';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(
  value: unknown,
  env: Record<string, string | undefined>,
  problems: ConfigProblem[],
  path: string[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const resolved = env[name];
      if (resolved !== undefined && resolved !== '') return resolved;
      if (fallback !== undefined) return fallback;
      problems.push({
        key: path.join('.'),
        value: undefined,
        rule: `environment variable ${name} is not set (use \${${name}:-default} for a default)`,
      });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, problems, [...path, String(index)]));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = interpolate(item, env, problems, [...path, key]);
    return result;
  }
  return value;
}
