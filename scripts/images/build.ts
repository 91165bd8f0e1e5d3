/**
 * `npm run images`: OCI images for the five processes, without a container
 * daemon or a base image. Run after `npm run build` (the bundles):
 *
 *   node scripts/images/build.ts [--out DIR] [--only users,greeter]
 *
 * Writes DIR/<name>/ (an OCI image layout, tag = the root package.json
 * version), DIR/<name>.tar (the same as an oci-archive) and DIR/images.json,
 * and prints sizes and digests. DIR defaults to dist/images. The same commit
 * (SOURCE_DATE_EPOCH, else HEAD's commit time) gives the same digests.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { consoleStaticDir } from '@flotilla/console';
import { parseArgs } from 'node:util';
import { appEntries, appLayer, bundlePath } from './app-layer.ts';
import { buildContext } from './context.ts';
import { IMAGES, type ImageSpec, LAYOUT, SOURCE_MAPS } from './images.ts';
import { buildLayer, type Layer, ROOT } from './layer.ts';
import { modulesLayer, planModules } from './modules-layer.ts';
import { assembleImage, writeImage } from './oci.ts';
import { imagesTable, layersTable, summarize, type ImageSummary } from './report.ts';
import { runtimeLayer } from './runtime-layer.ts';

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

// The shared layers come from all five bundles, whichever images are asked for,
// so that they are the same layers every time.
const plan = planModules(
  ctx,
  IMAGES.map((image) => bundlePath(ctx, image)),
);
log(
  `${ctx.version} at ${ctx.revision.slice(0, 12)}, SOURCE_DATE_EPOCH=${ctx.epoch}; ${plan.packages.length} packages for ${plan.roots.length} externals${plan.absent.length > 0 ? ` (not installed, optional: ${plan.absent.join(', ')})` : ''}`,
);
const [runtime, modules] = await Promise.all([runtimeLayer(ctx, plan.addons), modulesLayer(ctx, plan)]);
log(`shared layers: runtime (${runtime.nodeVersion}, ${runtime.libraries.length} libraries), node_modules (${modules.files} files)`);

mkdirSync(out, { recursive: true });
const written = new Map<string, string>();
const summaries: ImageSummary[] = [];
for (const spec of selected) {
  const app = spec.short === 'gateway' ? await gatewayAppLayer(spec) : await appLayer(ctx, spec, SOURCE_MAPS);
  const image = assembleImage(ctx, spec, [runtime.layer, modules, app], SOURCE_MAPS, runtime.nodeVersion);
  const { layout, archive } = writeImage(ctx, image, out, written);
  summaries.push(summarize(image, relative(ctx.root, layout), relative(ctx.root, archive)));
}
writeFileSync(
  join(out, 'images.json'),
  `${JSON.stringify({ version: ctx.version, revision: ctx.revision, sourceDateEpoch: ctx.epoch, externals: plan.roots, images: summaries }, null, 2)}\n`,
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

/**
 * The gateway's top layer also holds the built console (packages/console,
 * `npm run build`) in /app/console, beside the bundle, where
 * `@flotilla/console` looks for it when bundled.
 */
function gatewayAppLayer(spec: ImageSpec): Promise<Layer> {
  if (!existsSync(join(consoleStaticDir, 'index.html')))
    throw new Error(`images: the console is not built (${consoleStaticDir}); run npm run build first`);
  const files = readdirSync(consoleStaticDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  const consoleEntries = files.map((source) => ({
    path: `${LAYOUT.app}/console/${relative(consoleStaticDir, source)}`.slice(1),
    type: 'file' as const,
    mode: 0o644,
    ...ROOT,
    source,
  }));
  return buildLayer(
    'app',
    `${spec.bundle} + config/<ns>/{shared,${spec.configService}}.yaml + the console (${files.length} files)`,
    [...appEntries(ctx, spec, SOURCE_MAPS), ...consoleEntries],
    ctx.epoch,
  );
}
