/**
 * Layer 1, the base every image shares: what an executable (a Node binary with
 * the process inside) needs around it — the shared libraries ldd lists for
 * Node and for the native addon the executables load (found on this Debian
 * system), Node's licence, CA certificates, a minimal /etc with the non-root
 * user `flotilla` (65532), and the state mount point. No Node, no shell, no
 * package manager: each executable is its own runtime.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext } from './context.ts';
import { nodeBinary } from './executables.ts';
import { LAYOUT } from './images.ts';
import { buildLayer, ROOT, type Layer } from './layer.ts';
import type { TarEntry } from './tar.ts';

const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface Base {
  layer: Layer;
  libraries: string[];
}

/** `addons`: native .node files the executables write out and load, whose libraries must be here too. */
export async function baseLayer(ctx: BuildContext, addons: string[]): Promise<Base> {
  const node = nodeBinary(ctx);
  const libraries = sharedLibraries([node, ...addons]);
  const { user, home } = LAYOUT;
  const text = (path: string, content: string, mode = 0o644): TarEntry => ({
    path,
    type: 'file',
    mode,
    ...ROOT,
    data: Buffer.from(content),
  });
  if (!existsSync(CA_BUNDLE)) throw new Error(`images: ${CA_BUNDLE} is missing (apt-get install -y ca-certificates)`);

  const entries: TarEntry[] = [
    { path: 'usr/local/share/doc/node/LICENSE', type: 'file', mode: 0o644, ...ROOT, source: join(node, '..', '..', 'LICENSE') },
    ...libraries.map(
      (path): TarEntry => ({ path: path.slice(1), type: 'file', mode: fileMode(path), ...ROOT, source: realpathSync(path) }),
    ),
    { path: CA_BUNDLE.slice(1), type: 'file', mode: 0o644, ...ROOT, source: CA_BUNDLE },
    text('etc/passwd', `root:x:0:0:root:/root:/sbin/nologin\n${user.name}:x:${user.uid}:${user.gid}:${user.name}:${home}:/sbin/nologin\n`),
    text('etc/group', `root:x:0:\n${user.name}:x:${user.gid}:\n`),
    text('etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n'),
    // Container runtimes mount their own /etc/hosts; this one serves a bare `runc run`.
    text('etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'),
    { path: 'tmp', type: 'dir', mode: 0o1777, ...ROOT },
    { path: home.slice(1), type: 'dir', mode: 0o755, uid: user.uid, gid: user.gid },
  ];
  const layer = await buildLayer(
    'base',
    `${libraries.length} shared libraries (Node's and better-sqlite3's) + CA certificates + /etc/passwd (${user.name} ${user.uid})`,
    entries,
    ctx.epoch,
  );
  return { layer, libraries };
}

/** Every library ldd lists for these ELF files, at the path the loader looks for it (the interpreter included). */
export function sharedLibraries(files: string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    let output: string;
    try {
      output = execFileSync('ldd', [file], { encoding: 'utf8' });
    } catch (error) {
      throw new Error(`images: ldd ${file} failed: ${(error as Error).message}`);
    }
    for (const line of output.split('\n')) {
      const match = /^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
      if (match?.[1] !== undefined) found.add(match[1]);
      else if (/not found/.test(line)) throw new Error(`images: ${file} needs a library this system lacks: ${line.trim()}`);
    }
  }
  return [...found].sort();
}

function fileMode(path: string): number {
  return (statSync(path).mode & 0o111) !== 0 ? 0o755 : 0o644;
}
