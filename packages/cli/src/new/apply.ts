/**
 * Writes a set of files as one change: if any write fails, every file written
 * so far gets its old content back (or is removed, with the folders made for
 * it), so a failed scaffold leaves the repository as it was.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Relative path → new content. */
export type FileWrites = Map<string, string>;

export function applyWrites(root: string, writes: FileWrites): void {
  const undo: Array<() => void> = [];
  try {
    for (const [path, text] of writes) {
      const full = join(root, path);
      if (existsSync(full)) {
        const before = readFileSync(full);
        writeFileSync(full, text);
        undo.push(() => writeFileSync(full, before));
      } else {
        const made = mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, text);
        undo.push(() => {
          rmSync(full, { force: true });
          if (made !== undefined) removeEmptyUpTo(dirname(full), made);
        });
      }
    }
  } catch (error) {
    for (const step of undo.reverse()) step();
    throw error;
  }
}

/** Removes `dir` and its parents while they are empty, up to and including `top` (the first folder mkdir made). */
function removeEmptyUpTo(dir: string, top: string): void {
  let current = dir;
  for (;;) {
    try {
      rmdirSync(current);
    } catch {
      return;
    }
    if (current === top) return;
    current = dirname(current);
  }
}
