/**
 * `node scripts/sea/build.ts [--source] [users|orders|greeter|gateway]...` (all
 * four when none is named): one single-file executable per service, written to
 * `$FLOTILLA_CACHE_DIR|~/.cache/flotilla/sea/<service>`, from the `tsc -b`
 * output (`npm run sea` builds first) or, with `--source`, from the
 * TypeScript sources to `…/sea/source/<service>`. Prints each executable's path.
 * An executable whose inputs did not change is kept as it is. See README.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../test-services/lib/paths.ts';
import { bundleForSea } from './bundle.ts';
import { seaAssets } from './assets.ts';
import { makeExecutable, seaConfig } from './executable.ts';
import { v8FlagsFor } from './v8-flags.ts';
import { usesSnapshot } from './snapshot.ts';
import { entryPoint, isSeaService, SEA_SERVICES, type SeaInputKind, type SeaServiceName } from './services.ts';

/** Where the executables go: the same cache root as the compile cache and the Go builds. */
export const seaDir = join(cacheDir(), 'sea');

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

export interface BuiltExecutable {
  path: string;
  /** False when the executable of a previous build with the same inputs was kept. */
  built: boolean;
}

/** Builds (or keeps) the executable of one service. */
export async function buildSea(name: SeaServiceName, from: SeaInputKind = 'dist'): Promise<BuiltExecutable> {
  const entry = entryPoint(name, from);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const { files: assets, hash: assetsHash } = seaAssets(name);

  // Builds from the sources go to sea/source/: the tests' executables never replace `npm run sea`'s.
  const dir = from === 'dist' ? seaDir : join(seaDir, 'source');
  const workDir = join(dir, 'work', name);
  mkdirSync(workDir, { recursive: true });
  const main = join(workDir, 'main.cjs');
  const snapshot = usesSnapshot(name);
  await bundleForSea(name, from, main, assetsHash, snapshot);

  const output = join(dir, name);
  const input = { main, assets, workDir, output, snapshot, execArgv: v8FlagsFor(name) };
  // The executable depends on the bundle, the assets, the Node binary and the config Node reads.
  const node = statSync(process.execPath);
  const key = sha256(
    readFileSync(main),
    assetsHash,
    process.execPath,
    process.version,
    `${node.size}:${node.mtimeMs}`,
    JSON.stringify(seaConfig(input)),
  );
  const stamp = `${output}.sha256`;
  if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return { path: output, built: false };
  await makeExecutable(input);
  writeFileSync(stamp, key);
  return { path: output, built: true };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const from: SeaInputKind = args.includes('--source') ? 'source' : 'dist';
  const names = args.filter((arg) => arg !== '--source');
  const unknown = names.filter((name) => !isSeaService(name));
  if (unknown.length > 0) {
    console.error(`unknown service(s): ${unknown.join(', ')}; one of: ${Object.keys(SEA_SERVICES).join(', ')}`);
    process.exit(2);
  }
  for (const name of (names.length > 0 ? names : Object.keys(SEA_SERVICES)) as SeaServiceName[]) {
    const started = performance.now();
    const { path, built } = await buildSea(name, from);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${name}: ${path} (${built ? `built in ${seconds} s` : 'unchanged'})`);
  }
}
