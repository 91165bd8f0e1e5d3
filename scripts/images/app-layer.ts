/**
 * Layer 3, one per image: the process's bundle (and its source map, for
 * --enable-source-maps) and the config files it reads at run time:
 * config/<ns>/shared.yaml and config/<ns>/<service>.yaml for every namespace.
 * Migrations and the gRPC descriptor set are compiled into the bundle, so no
 * other file is read.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext } from './context.ts';
import { LAYOUT, type ImageSpec } from './images.ts';
import { buildLayer, ROOT, type Layer } from './layer.ts';
import type { TarEntry } from './tar.ts';

export function bundlePath(ctx: BuildContext, image: ImageSpec): string {
  const path = join(ctx.root, image.bundle);
  if (!existsSync(path)) throw new Error(`images: ${image.bundle} is missing; run npm run build (tsc -b + scripts/bundle.mjs) first`);
  return path;
}

export function appEntries(ctx: BuildContext, image: ImageSpec, sourceMaps: boolean): TarEntry[] {
  const file = (path: string, source: string): TarEntry => ({ path: path.slice(1), type: 'file', mode: 0o644, ...ROOT, source });
  const bundle = bundlePath(ctx, image);
  const entries = [file(LAYOUT.bundle, bundle)];
  if (sourceMaps) {
    if (!existsSync(`${bundle}.map`)) throw new Error(`images: ${image.bundle}.map is missing`);
    entries.push(file(`${LAYOUT.bundle}.map`, `${bundle}.map`));
  }
  if (image.configService !== undefined) {
    const configRoot = join(ctx.root, 'config');
    const namespaces = readdirSync(configRoot)
      .filter((ns) => statSync(join(configRoot, ns)).isDirectory())
      .sort();
    for (const ns of namespaces) {
      for (const name of ['shared.yaml', `${image.configService}.yaml`]) {
        const source = join(configRoot, ns, name);
        if (existsSync(source)) entries.push(file(`${LAYOUT.config}/${ns}/${name}`, source));
      }
    }
    if (!entries.some((e) => e.path.endsWith(`/${image.configService}.yaml`)))
      throw new Error(`images: no config/<ns>/${image.configService}.yaml found`);
  }
  return entries;
}

export function appLayer(ctx: BuildContext, image: ImageSpec, sourceMaps: boolean): Promise<Layer> {
  return buildLayer(
    'app',
    `${image.bundle}${sourceMaps ? ' (+ source map)' : ''}${image.configService === undefined ? '' : ` + config/<ns>/{shared,${image.configService}}.yaml`}`,
    appEntries(ctx, image, sourceMaps),
    ctx.epoch,
  );
}
