/** Parsing a stored YAML document and comparing two of them. */
import { parseDocument } from 'yaml';
import { isPlainObject } from '../merge.ts';
import { ConfigError } from '../problems.ts';
import type { KeyPathChange } from './types.ts';

/** The document as a plain object; ConfigError (code `validation`) on a syntax error or a non-mapping. */
export function parseConfigText(text: string, source: string): Record<string, unknown> {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      'YAML',
      document.errors.map((e) => ({ key: '(file)', value: undefined, rule: e.message })),
    );
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError(source, 'YAML', [{ key: '(file)', value: undefined, rule: 'must be a YAML mapping' }]);
  return value;
}

/** Leaf paths whose values differ; arrays count as one leaf. */
export function keyPathChanges(before: unknown, after: unknown, prefix: string[] = []): KeyPathChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => keyPathChanges(before[key], after[key], [...prefix, key]));
  }
  if (sameValue(before, after)) return [];
  const path = prefix.join('.');
  if (before === undefined) return leaves(after, prefix).map(([p, v]) => ({ path: p, kind: 'added' as const, to: v }));
  if (after === undefined) return leaves(before, prefix).map(([p, v]) => ({ path: p, kind: 'removed' as const, from: v }));
  return [{ path, kind: 'changed', from: before, to: after }];
}

function leaves(value: unknown, prefix: string[]): Array<[string, unknown]> {
  if (isPlainObject(value) && Object.keys(value).length > 0) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...prefix, k]));
  return [[prefix.join('.'), value]];
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
