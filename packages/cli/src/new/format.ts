/**
 * Runs the repository's own formatter (biome, biome.jsonc) over the files a
 * scaffold wrote or changed: the templates are formatted for their
 * placeholders, and a longer or shorter name can move a line break.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FORMATTED = /\.(ts|mts|cts|js|mjs|cjs|json|jsonc)$/;

/** Undefined when formatted; otherwise why not (the files are written either way). */
export async function formatFiles(root: string, paths: string[]): Promise<string | undefined> {
  const files = paths.filter((path) => FORMATTED.test(path));
  if (files.length === 0) return undefined;
  const biome = join(root, 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) return `not formatted: ${biome} is missing (npm install), then run biome format --write on the new files`;
  try {
    await run(biome, ['format', '--write', '--no-errors-on-unmatched', ...files], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return undefined;
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`.trim();
    return `biome format failed: ${output || (error as Error).message}`;
  }
}
