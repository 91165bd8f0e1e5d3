/**
 * The gateway as `npm start` runs it: one ESM file built by esbuild with the
 * settings of scripts/bundle.mjs, but from the sources (the `@flotilla/source`
 * condition), so it does not depend on any workspace's dist being current.
 * Why a bundle rather than src/main.ts run by Node's type stripping: the
 * stripped sources are the same code on the hot path, but a bundle is what
 * production runs (one module, esbuild's output), so that is what is measured.
 *
 * The file goes under node_modules/.cache so that its external packages
 * resolve from the repository's node_modules.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLE_OPTIONS } from '../../scripts/bundle-settings.mjs';
import { REPO_ROOT } from './servers.ts';

/** A gateway entry point bundled with the production settings, from the sources, into `file`. */
export async function bundleFromSource(entry: string, file: string, extra: BuildOptions = {}): Promise<void> {
  await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile: file, conditions: ['@flotilla/source'], ...extra });
}

export interface GatewayBundle {
  file: string;
  remove(): void;
}

export async function bundleGateway(): Promise<GatewayBundle> {
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'flotilla-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `gateway-${process.pid}.mjs`);
  await bundleFromSource(join(REPO_ROOT, 'packages/gateway/src/main.ts'), file);
  return { file, remove: () => rmSync(file, { force: true }) };
}
