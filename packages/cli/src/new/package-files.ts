/**
 * A new service's package.json and tsconfig.json. They are JSON (no room for
 * template directives), so they are built here; the dependency versions are
 * the ones the repository already pins, never a range.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceNames } from './names.ts';

export interface PackageInputs {
  names: ServiceNames;
  database: boolean;
  grpc: boolean;
}

/** The workspace packages a service imports, by feature. */
function workspaceDependencies({ database, grpc }: PackageInputs): string[] {
  return [...(grpc ? ['contracts'] : []), ...(database ? ['data'] : []), ...(grpc ? ['grpc'] : []), 'kit', 'service'];
}

export function servicePackageJson(root: string, inputs: PackageInputs): string {
  const { names, database, grpc } = inputs;
  const pin = pinnedVersions(root);
  const version = (name: string): string => {
    const found = pin.get(name);
    if (found === undefined) throw new Error(`no version of ${name} is pinned in the repository's package.json files`);
    return found;
  };
  const dependencies: Record<string, string> = {};
  for (const name of workspaceDependencies(inputs)) dependencies[`@flotilla/${name}`] = version(`@flotilla/${name}`);
  if (database) dependencies.kysely = version('kysely');
  dependencies.typebox = version('typebox');
  const manifest = {
    name: `@flotilla/${names.name}`,
    version: '0.1.0',
    private: true,
    description: database
      ? `The ${names.name} service: items over REST${grpc ? ' and gRPC' : ''}, in SQLite, PostgreSQL or MySQL`
      : `The ${names.name} service: REST${grpc ? ' and gRPC' : ''}, no database`,
    type: 'module',
    main: './dist/main.js',
    exports: {
      '.': { '@flotilla/source': './src/service.ts', types: './dist/service.d.ts', default: './dist/service.js' },
    },
    scripts: { start: 'node dist/main.js', ...(database ? { migrate: 'node dist/migrate.js' } : {}) },
    dependencies,
    devDependencies: { '@flotilla/testing': version('@flotilla/testing') },
    // `flotilla dev` runs this package (its name is the folder's; its ports come from config/dev/<name>.yaml).
    flotilla: { dev: { grpc } },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function serviceTsconfig(inputs: PackageInputs): string {
  const tsconfig = {
    extends: '../../tsconfig.base.json',
    compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
    include: ['src'],
    references: workspaceDependencies(inputs).map((name) => ({ path: `../../packages/${name}` })),
  };
  return `${JSON.stringify(tsconfig, null, 2)}\n`;
}

/** Versions as the workspaces declare them (the first declaration found), plus each workspace's own version. */
function pinnedVersions(root: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const top of ['services', 'packages']) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      if (manifest.name !== undefined && manifest.version !== undefined && !versions.has(manifest.name))
        versions.set(manifest.name, manifest.version);
      for (const [name, version] of Object.entries({ ...manifest.devDependencies, ...manifest.dependencies })) {
        if (!versions.has(name)) versions.set(name, version);
      }
    }
  }
  return versions;
}
