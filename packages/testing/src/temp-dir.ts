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
