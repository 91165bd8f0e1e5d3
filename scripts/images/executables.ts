/**
 * The images' executables: scripts/sea's build (`buildSea`, through its command
 * line) run by a stripped copy of the pinned Node, so that the executable it
 * writes — a copy of the Node running the build, with the blob injected — is
 * stripped too (109 instead of 127 MB). Stripping after the injection breaks
 * the binary; stripped before, postject finds its fuse and the executable runs.
 * They go to their own cache folder: `npm run sea`'s unstripped executables
 * stay as they are, and both are rebuilt only when their inputs change.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from '../test-services/lib/paths.ts';
import { isSeaService } from '../sea/services.ts';
import type { BuildContext } from './context.ts';
import type { ImageSpec } from './images.ts';
import { stripped } from './strip.ts';

/** Where the images' Node and executables are kept between builds. */
export function imagesCacheDir(): string {
  return join(cacheDir(), 'images');
}

export function nodeBinary(ctx: BuildContext): string {
  const path = join(ctx.root, 'node_modules', `node-linux-${ctx.nodeArch}`, 'bin', 'node');
  if (!existsSync(path)) throw new Error(`images: ${path} is missing; run npm install (the pinned Node is an optional dependency)`);
  return path;
}

/**
 * `strip --strip-all` of the pinned Node (its dynamic symbol table, which
 * native addons link against, stays), written once per Node binary: its size
 * and mtime are part of the executables' build key.
 */
export function strippedNode(ctx: BuildContext): string {
  const node = nodeBinary(ctx);
  const { size, mtimeMs } = statSync(node);
  const dir = join(imagesCacheDir(), 'node');
  const path = join(dir, 'node');
  const stamp = `${path}.source`;
  const source = `${node} ${size} ${mtimeMs}`;
  if (existsSync(path) && existsSync(stamp) && readFileSync(stamp, 'utf8') === source) return path;
  mkdirSync(dir, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, stripped(node, '--strip-all'), { mode: 0o755 });
  renameSync(partial, path);
  writeFileSync(stamp, source);
  return path;
}

export function nodeVersion(ctx: BuildContext): string {
  return execFileSync(nodeBinary(ctx), ['--version'], { encoding: 'utf8' }).trim();
}

export interface Executable {
  path: string;
  /** The main script in its blob: scripts/sea/build.ts keeps it in <folder>/work/<name>/main.cjs. */
  mainScript: string;
}

/** Builds (or keeps) the executable of every image, by image short name. */
export async function buildExecutables(ctx: BuildContext, images: readonly ImageSpec[]): Promise<Map<string, Executable>> {
  for (const image of images) {
    if (!isSeaService(image.short))
      throw new Error(`images: ${image.short} has no executable; add it to SEA_SERVICES in scripts/sea/services.ts`);
  }
  const node = strippedNode(ctx);
  const names = images.map((image) => image.short);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(node, [join(ctx.root, 'scripts', 'sea', 'build.ts'), ...names], {
      cwd: ctx.root,
      env: { ...process.env, FLOTILLA_CACHE_DIR: imagesCacheDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`images: scripts/sea/build.ts exited with ${code}:\n${stderr}${stdout}`)),
    );
  });
  // Its output: one `<name>: <path> (built in … s | unchanged)` line per executable.
  const executables = new Map<string, Executable>();
  for (const match of output.matchAll(/^([\w-]+): (\/\S+) \(/gm)) {
    const [, name, path] = match as unknown as [string, string, string];
    const mainScript = join(dirname(path), 'work', name, 'main.cjs');
    if (!existsSync(mainScript))
      throw new Error(`images: ${mainScript} is missing: where does scripts/sea/build.ts keep the main script now?`);
    executables.set(name, { path, mainScript });
  }
  for (const name of names)
    if (!executables.has(name)) throw new Error(`images: scripts/sea/build.ts printed no path for ${name}:\n${output}`);
  return executables;
}
