/**
 * `npm run images`: OCI images for the five processes, without a container
 * daemon or a base image. Run after `npm run build` (the compiled sources and
 * the console; scripts/sea builds each process's executable from them):
 *
 *   node scripts/images/build.ts [--out DIR] [--only users,greeter]
 *
 * Writes DIR/<name>/ (an OCI image layout, tag = the root package.json
 * version), DIR/<name>.tar (the same as an oci-archive) and DIR/images.json,
 * and prints sizes and digests. DIR defaults to dist/images. The same commit
 * (SOURCE_DATE_EPOCH, else HEAD's commit time) gives the same digests.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { consoleStaticDir } from '@flotilla/console';
import { baseLayer } from './base-layer.ts';
import { buildContext } from './context.ts';
import { buildExecutables, nodeVersion } from './executables.ts';
import { IMAGES } from './images.ts';
import type { Layer } from './layer.ts';
import { assembleImage, writeImage } from './oci.ts';
import { imagesTable, layersTable, summarize, type ImageSummary } from './report.ts';
import { seaAssets } from '../sea/assets.ts';
import { serviceLayer } from './service-layer.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, only: { type: 'string' }, quiet: { type: 'boolean' } } });
const began = Date.now();
const ctx = buildContext();
const out = resolve(values.out ?? join(ctx.root, 'dist', 'images'));
const only = values.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const selected = IMAGES.filter((image) => only === undefined || only.includes(image.short));
if (selected.length === 0) throw new Error(`images: --only ${values.only} names none of ${IMAGES.map((i) => i.short).join(', ')}`);
const log = (line: string): void => {
  if (values.quiet !== true) console.error(`[images] ${line}`);
};
// The gateway's executable carries the built console only when it is built; an image must not go without it.
if (selected.some((image) => image.short === 'gateway') && !existsSync(join(consoleStaticDir(), 'index.html')))
  throw new Error(`images: the console is not built (${consoleStaticDir()}); run npm run build first`);

const version = nodeVersion(ctx);
log(`${ctx.version} at ${ctx.revision.slice(0, 12)}, SOURCE_DATE_EPOCH=${ctx.epoch}, Node ${version}`);
const executables = await buildExecutables(ctx, selected);
const assets = new Map(selected.map((image) => [image.short, seaAssets(image.short)]));
// The same base whichever images are asked for: every executable carries the same addon.
const base = await baseLayer(ctx, [...new Set([...assets.values()].map((a) => a.files[a.addon]!))]);
log(`executables: ${[...executables.values()].map((e) => e.path).join(', ')}; base layer: ${base.libraries.length} libraries`);

// Two service layers at a time: each is zstd -19 of a 110 MB executable (when not cached), and the machine may have two cores.
const layers = new Map<string, Layer>();
const queue = [...selected];
await Promise.all(
  [0, 1].map(async () => {
    for (let image = queue.shift(); image !== undefined; image = queue.shift())
      layers.set(image.short, await serviceLayer(ctx, image, executables.get(image.short)!, assets.get(image.short)!));
  }),
);

mkdirSync(out, { recursive: true });
const written = new Map<string, string>();
const summaries: ImageSummary[] = [];
for (const spec of selected) {
  const image = assembleImage(ctx, spec, [base.layer, layers.get(spec.short)!], version);
  const { layout, archive } = writeImage(ctx, image, out, written);
  summaries.push(summarize(image, relative(ctx.root, layout), relative(ctx.root, archive)));
}
writeFileSync(
  join(out, 'images.json'),
  `${JSON.stringify({ version: ctx.version, revision: ctx.revision, sourceDateEpoch: ctx.epoch, nodeVersion: version, images: summaries }, null, 2)}\n`,
);

console.log(imagesTable(summaries));
if (values.quiet !== true) {
  console.log('');
  console.log(layersTable(summaries));
  console.log('');
  console.log(
    `written to ${relative(process.cwd(), out) || '.'}/ in ${((Date.now() - began) / 1000).toFixed(1)} s; load one with: ctr -n k8s.io images import ${relative(process.cwd(), join(out, `${selected[0]!.short}.tar`))}`,
  );
}
