/**
 * Which npm packages the bundles load from node_modules at run time: the
 * BUNDLE_EXTERNAL of scripts/bundle-settings.mjs (the authority: it also names packages
 * loaded by a computed require, such as the pg and mysql2 drivers that the kit
 * loads only for a postgres:// or mysql:// DSN), expanded against what is
 * installed, plus every bare specifier the bundles import, require or
 * import() themselves (checked, so a new external is never forgotten).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { BUNDLE_EXTERNAL } from '../bundle-settings.mjs';
import { readLock } from './closure.ts';

export interface Externals {
  /** Package names to ship, sorted. */
  packages: string[];
  /** Named (by bundle.mjs or a bundle) but not installed: optional at run time. */
  absent: string[];
}

/** Bare specifiers that esbuild left in a bundle: static imports, __require() and import() calls. */
export function bundleSpecifiers(bundleText: string): string[] {
  const found = new Set<string>();
  const patterns = [/^import\s(?:[^"'\n]*?\sfrom\s)?"([^"\n]+)";$/gm, /\b__require\("([^"\n]+)"\)/g, /\bimport\("([^"\n]+)"\)/g];
  for (const pattern of patterns) {
    for (const match of bundleText.matchAll(pattern)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) continue;
      found.add(packageName(specifier));
    }
  }
  return [...found].sort();
}

export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export function runtimeExternals(root: string, bundles: string[]): Externals {
  const modules = join(root, 'node_modules');
  const lock = readLock(root);
  const wanted = new Set<string>();
  for (const pattern of BUNDLE_EXTERNAL) {
    if (pattern.endsWith('/*')) {
      const scope = pattern.slice(0, -2);
      const dir = join(modules, scope);
      // Installed packages of the scope, less those only dev dependencies need.
      if (existsSync(dir))
        for (const name of readdirSync(dir))
          if (!name.startsWith('.') && lock[`node_modules/${scope}/${name}`]?.dev !== true) wanted.add(`${scope}/${name}`);
    } else {
      wanted.add(pattern);
    }
  }
  for (const bundle of bundles) for (const name of bundleSpecifiers(readFileSync(bundle, 'utf8'))) wanted.add(name);
  const packages: string[] = [];
  const absent: string[] = [];
  for (const name of [...wanted].sort()) (existsSync(join(modules, name, 'package.json')) ? packages : absent).push(name);
  return { packages, absent };
}
