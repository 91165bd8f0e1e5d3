/**
 * A document given as data (a tool's JSON editor) turned back into the YAML
 * the centre stores, as a hand edit would leave it. When only values changed,
 * exactly those values are rewritten in the previous text and every other
 * character stays. When keys or list items come or go, the previous text is
 * rewritten from its parsed form: comments, key order and `${VAR}` references
 * of what stays are kept, flow and quoting styles mostly.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Document, isMap, isScalar, parseDocument, type Scalar, stringify } from 'yaml';
import { isPlainObject } from '../merge.ts';
import { sameValue } from './document.ts';

type Path = Array<string | number>;
type Edit = { path: Path; value: unknown };

export function renderConfigText(document: Record<string, unknown>, previousText?: string): string {
  if (previousText === undefined || previousText.trim() === '') return fresh(document);
  const previous = parseDocument(previousText);
  if (previous.errors.length > 0 || !isMap(previous.contents)) return fresh(document);
  const before = previous.toJS() as unknown;
  const edits: Edit[] = [];
  if (valueEdits(before, document, [], edits)) {
    const patched = patchValues(previousText, previous, edits);
    if (patched !== undefined && isDeepStrictEqual(parseDocument(patched).toJS(), document)) return patched;
  }
  rewrite(previous, [], before, document);
  return previous.toString({ lineWidth: 0 });
}

function fresh(document: Record<string, unknown>): string {
  return Object.keys(document).length === 0 ? '{}\n' : stringify(document, { lineWidth: 0 });
}

/** Collects the scalar values that changed; false when the shape changed (keys or items added or removed). */
function valueEdits(before: unknown, after: unknown, path: Path, edits: Edit[]): boolean {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = Object.keys(before);
    if (keys.length !== Object.keys(after).length || !keys.every((key) => Object.hasOwn(after, key))) return false;
    return keys.every((key) => valueEdits(before[key], after[key], [...path, key], edits));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    return before.length === after.length && before.every((value, index) => valueEdits(value, after[index], [...path, index], edits));
  }
  if (sameValue(before, after)) return true;
  if (!isScalarValue(before) || !isScalarValue(after)) return false;
  edits.push({ path, value: after });
  return true;
}

function isScalarValue(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** The previous text with each edited scalar replaced where it stands; undefined when one cannot be placed. */
function patchValues(text: string, yaml: Document, edits: Edit[]): string | undefined {
  const placed: Array<{ start: number; end: number; source: string }> = [];
  for (const edit of edits) {
    const node = yaml.getIn(edit.path, true);
    if (!isScalar(node) || node.range === undefined || node.range === null) return undefined;
    placed.push({ start: node.range[0], end: node.range[1], source: scalarSource(edit.value, node) });
  }
  let result = text;
  for (const edit of placed.sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.source + result.slice(edit.end);
  return result;
}

/** A plain word stays plain (if it still reads back as the same string); anything else is double-quoted, which also suits flow collections. */
function scalarSource(value: unknown, node: Scalar): string {
  if (typeof value !== 'string') return value === null ? 'null' : String(value);
  const plain = node.type === 'PLAIN' && /^[A-Za-z0-9_./@+~-][A-Za-z0-9_./@+~ -]*$/.test(value) && !value.endsWith(' ');
  return plain && parseDocument(value).toJS() === value ? value : JSON.stringify(value);
}

/** Rewrites the nodes under `path` whose value differs, and nothing else. */
function rewrite(yaml: Document, path: Path, before: unknown, after: unknown): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) yaml.deleteIn([...path, key]);
    for (const [key, value] of Object.entries(after)) {
      if (Object.hasOwn(before, key)) rewrite(yaml, [...path, key], before[key], value);
      else yaml.setIn([...path, key], value);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    for (const [index, value] of after.entries()) rewrite(yaml, [...path, index], before[index], value);
    return;
  }
  // A scalar keeps its node (and its comment); a new shape replaces the node.
  if (!sameValue(before, after)) yaml.setIn(path, after);
}
