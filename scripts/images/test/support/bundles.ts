/**
 * The images are built from the esbuild bundles, which are built from the
 * compiled TypeScript: compile (incremental, a no-op when current), then
 * rebuild any bundle older than the code it comes from.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IMAGES } from '../../images.ts';

function newestJs(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestJs(path));
    else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureBundles(root: string): string {
  const node = process.execPath;
  execFileSync(node, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: root, stdio: 'inherit' });
  // Every library package a bundle may inline (the apps' own folders are checked per image below).
  const shared = Math.max(...readdirSync(join(root, 'packages')).map((name) => newestJs(join(root, 'packages', name, 'dist'))));
  const stale = IMAGES.filter((image) => {
    const bundle = join(root, image.bundle);
    return !existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(shared, newestJs(join(root, dirname(image.bundle))));
  });
  if (stale.length === 0) return 'bundles are current';
  execFileSync(node, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'inherit' });
  return `rebuilt the bundles (stale: ${stale.map((i) => i.short).join(', ')})`;
}
