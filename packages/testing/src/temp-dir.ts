import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  remove(): void;
}

/** A new empty folder under the system's temporary one (`flotilla-<prefix>-…`). */
export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `flotilla-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const removeAtExit = new Set<string>();

/**
 * A new empty folder removed when the test process exits, for fixtures whose
 * callers have no natural place to clean up (a helper returning paths).
 */
export function scratchDir(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), `flotilla-${prefix}-`));
  if (removeAtExit.size === 0) process.once('exit', removeScratchDirs);
  removeAtExit.add(path);
  return path;
}

function removeScratchDirs(): void {
  for (const dir of removeAtExit) rmSync(dir, { recursive: true, force: true });
}
