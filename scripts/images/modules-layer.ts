/**
 * Layer 2, shared by every image: /app/node_modules with exactly the packages
 * the bundles load at run time (the externals and their production
 * dependencies), each pruned to the files a running process needs.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { dependencyClosure, type Package } from './closure.ts';
import type { BuildContext } from './context.ts';
import { runtimeExternals } from './externals.ts';
import { LAYOUT } from './images.ts';
import { buildLayer, ROOT, type Layer } from './layer.ts';
import { packageRule, UNUSED_DEPENDENCIES } from './prune.ts';
import { stripped } from './strip.ts';
import type { TarEntry } from './tar.ts';

export interface ModulesPlan {
  roots: string[];
  absent: string[];
  packages: Package[];
  entries: TarEntry[];
  /** Host paths of the native addons shipped (their libraries go into the runtime layer). */
  addons: string[];
}

export function planModules(ctx: BuildContext, bundles: string[]): ModulesPlan {
  const { packages: roots, absent } = runtimeExternals(ctx.root, bundles);
  const packages = dependencyClosure(ctx.root, roots);
  const entries: TarEntry[] = [];
  const addons: string[] = [];
  const base = `${LAYOUT.app.slice(1)}/node_modules`;
  for (const pkg of packages) {
    const rule = packageRule(pkg.name, ctx.nodeArch);
    const unused = UNUSED_DEPENDENCIES[pkg.name] ?? [];
    for (const rel of walk(pkg.dir)) {
      if (!rule(rel)) continue;
      if (unused.length > 0 && /\.[cm]?js$/.test(rel)) assertUnused(pkg.name, rel, readFileSync(join(pkg.dir, rel), 'utf8'), unused);
      const source = join(pkg.dir, rel);
      const path = `${base}/${pkg.rel}/${rel}`;
      const stat = lstatSync(source);
      if (stat.isSymbolicLink()) {
        entries.push({ path, type: 'symlink', mode: 0o777, ...ROOT, target: readlinkSync(source) });
      } else {
        const addon = rel.endsWith('.node');
        entries.push({
          path,
          type: 'file',
          mode: (stat.mode & 0o111) !== 0 ? 0o755 : 0o644,
          ...ROOT,
          ...(addon ? { data: stripped(source, '--strip-unneeded') } : { source }),
        });
        if (addon) addons.push(source);
      }
    }
  }
  return { roots, absent, packages, entries, addons };
}

export function modulesLayer(ctx: BuildContext, plan: ModulesPlan): Promise<Layer> {
  return buildLayer(
    'node_modules',
    `${plan.packages.length} production packages for the bundles' externals (${plan.roots.join(', ')})`,
    plan.entries,
    ctx.epoch,
  );
}

/** Files (and symlinks) under a package folder, relative to it, not entering nested node_modules. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...walk(dir, rel));
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      out.push(rel);
    }
  }
  return out;
}

function assertUnused(pkg: string, rel: string, code: string, unused: string[]): void {
  for (const dep of unused) {
    if (code.includes(`'${dep}'`) || code.includes(`"${dep}"`) || code.includes(`'${dep}/`) || code.includes(`"${dep}/`)) {
      throw new Error(`images: ${pkg}/${rel} loads ${dep}, which UNUSED_DEPENDENCIES (scripts/images/prune.ts) leaves out`);
    }
  }
}
