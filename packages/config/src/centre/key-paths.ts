/** Reading and writing a value at a dotted key path of a plain config object. */
import { isPlainObject } from '../merge.ts';

export function getAtPath(value: unknown, path: string): unknown {
  let node = value;
  for (const segment of path.split('.')) {
    if (!isPlainObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}

/** A copy of `root` with `path` set to `value` (removed when undefined). */
export function withValueAt(root: unknown, path: string, value: unknown): unknown {
  const [head, ...rest] = path.split('.');
  const base: Record<string, unknown> = isPlainObject(root) ? { ...root } : {};
  if (head === undefined) return root;
  if (rest.length === 0) {
    if (value === undefined) delete base[head];
    else base[head] = value;
    return base;
  }
  const child = withValueAt(base[head], rest.join('.'), value);
  // Taking out a section's last key takes out the section: a subtree that was not there stays absent.
  if (value === undefined && isPlainObject(child) && Object.keys(child).length === 0) delete base[head];
  else base[head] = child;
  return base;
}

/** True when one path is the other or lies under it. */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

export function isUnder(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}.`);
}
