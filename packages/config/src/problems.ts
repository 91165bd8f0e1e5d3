/** Config validation problems, reported one per line with secrets masked. */
import { FlotillaError } from '@flotilla/core';
import { maskValue } from './secrets.ts';

export interface ConfigProblem {
  /** Dotted key path, e.g. `database.pool.max`. */
  key: string;
  value: unknown;
  rule: string;
}

export class ConfigError extends FlotillaError {
  readonly problems: ConfigProblem[];
  constructor(service: string, source: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.key || '(root)'} = ${formatValue(p.key, p.value)}: ${p.rule}`);
    super('validation', `Invalid configuration for ${service} (${source}):\n${lines.join('\n')}`);
    this.problems = problems;
  }
}

function formatValue(key: string, value: unknown): string {
  if (value === undefined) return '(unset)';
  return JSON.stringify(maskValue(key, value)) ?? String(value);
}
