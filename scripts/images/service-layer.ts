/**
 * Layer 2, one per image: the process's single-file executable (/app/<short>),
 * the files it would write out on first use, already written out
 * (/app/assets/<hash>/…, sea-assets.ts; the native addon stripped; none for
 * the operator, which reads none), and the
 * config files it reads at run time: config/<ns>/shared.yaml and
 * config/<ns>/<service>.yaml for every namespace.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext } from './context.ts';
import type { Executable } from './executables.ts';
import { executablePath, type ImageSpec, LAYOUT } from './images.ts';
import { buildLayer, ROOT, type Layer } from './layer.ts';
import type { SeaAssets } from '../sea/assets.ts';
import { assetsToShip } from './sea-assets.ts';
import { stripped } from './strip.ts';
import type { TarEntry } from './tar.ts';

const file = (path: string, source: string, mode = 0o644): TarEntry => ({ path: path.slice(1), type: 'file', mode, ...ROOT, source });

export function configEntries(ctx: BuildContext, image: ImageSpec): TarEntry[] {
  if (image.configService === undefined) return [];
  const entries: TarEntry[] = [];
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
  return entries;
}

export function assetEntries(assets: SeaAssets): TarEntry[] {
  return Object.entries(assets.files).map(([key, source]): TarEntry => {
    const path = `${LAYOUT.assets}/${assets.hash}/${key}`.slice(1);
    return key === assets.addon
      ? { path, type: 'file', mode: 0o644, ...ROOT, data: stripped(source, '--strip-unneeded') }
      : file(`/${path}`, source);
  });
}

export function serviceLayer(ctx: BuildContext, image: ImageSpec, executable: Executable, assets: SeaAssets): Promise<Layer> {
  const shipped = assetsToShip(image.short, readFileSync(executable.mainScript, 'utf8'), assets);
  const entries = [
    file(executablePath(image), executable.path, 0o755),
    ...(shipped ? assetEntries(shipped) : []),
    ...configEntries(ctx, image),
  ];
  return buildLayer(
    'service',
    `the ${image.short} executable (scripts/sea, Node stripped)${shipped ? ` + its ${Object.keys(shipped.files).length} assets` : ''}${image.configService === undefined ? '' : ` + config/<ns>/{shared,${image.configService}}.yaml`}`,
    entries,
    ctx.epoch,
  );
}
