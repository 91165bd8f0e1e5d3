/**
 * The images' executables are built (scripts/sea) from the compiled
 * TypeScript: compile first (incremental, a no-op when current).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function ensureCompiled(root: string): string {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: root, stdio: 'inherit' });
  return 'tsc -b: the compiled sources are current';
}
