/**
 * The production dependency closure of a set of packages, resolved the way
 * Node resolves them (nested node_modules first, then upwards) inside the
 * repository's node_modules. Dev-only packages (per npm's lockfile) never enter;
 * packages only needed to compile an addon are left out on purpose.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UNUSED_DEPENDENCIES } from './prune.ts';

export interface Package {
  name: string;
  version: string;
  /** Absolute directory. */
  dir: string;
  /** Relative to the repository's node_modules, e.g. `etcd3/node_modules/@grpc/proto-loader`. */
  rel: string;
}

/** Dependencies never loaded at run time: headers for compiling an addon, type declarations. */
export const BUILD_ONLY: Record<string, string> = {
  'node-addon-api': 'C++ headers for compiling better-sqlite3',
  'undici-types': 'TypeScript declarations only',
};

/** Type declarations (`@types/*`, listed as dependencies by some packages) never run. */
export function buildOnly(name: string): boolean {
  return name in BUILD_ONLY || name.startsWith('@types/');
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export function dependencyClosure(root: string, roots: string[]): Package[] {
  const modules = join(root, 'node_modules');
  const lock = readLock(root);
  const found = new Map<string, Package>();
  const visit = (name: string, from: string, required: boolean, via: string): void => {
    if (buildOnly(name)) return;
    const dir = resolvePackage(name, from, root);
    if (dir === undefined) {
      if (required) throw new Error(`images: ${via} needs ${name}, which is not installed`);
      return;
    }
    const rel = relative(modules, dir);
    if (found.has(rel)) return;
    if (rel.startsWith('..') || lstatSync(dir).isSymbolicLink())
      throw new Error(`images: ${name} (needed by ${via}) is a workspace link, not a published package; bundle it instead`);
    if (lock[`node_modules/${rel}`]?.dev === true) throw new Error(`images: ${name} (needed by ${via}) is a dev dependency`);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    found.set(rel, { name, version: manifest.version, dir, rel });
    const unused = new Set(UNUSED_DEPENDENCIES[name] ?? []);
    for (const dep of Object.keys(manifest.dependencies ?? {})) if (!unused.has(dep)) visit(dep, dir, true, name);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, false, name);
    for (const dep of Object.keys(manifest.peerDependencies ?? {}))
      visit(dep, dir, manifest.peerDependenciesMeta?.[dep]?.optional !== true, name);
  };
  for (const name of roots) visit(name, root, true, 'the bundles');
  return [...found.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Node's lookup: <dir>/node_modules/<name>, then each parent's, up to the repository root. */
function resolvePackage(name: string, from: string, root: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (!dir.endsWith('/node_modules')) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** npm's view of node_modules (`dev: true` marks packages only dev dependencies need). */
export function readLock(root: string): Record<string, { dev?: boolean }> {
  const path = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(path)) return {};
  return (JSON.parse(readFileSync(path, 'utf8')) as { packages?: Record<string, { dev?: boolean }> }).packages ?? {};
}
