/**
 * One image layer: a sorted, deterministic tar of its entries, compressed by
 * GNU gzip with `-n` (no name, no timestamp in the gzip header) so the same
 * entries always give the same blob. `diffId` is the digest of the tar (what
 * the image config lists), `digest` that of the .tar.gz (what the manifest
 * lists and a registry stores).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { sortEntries, writeTar, type TarEntry } from './tar.ts';

export interface Layer {
  /** Short name for tables and the image history. */
  name: string;
  /** What made it, recorded in the image config's history. */
  createdBy: string;
  gz: Buffer;
  digest: string;
  diffId: string;
  /** Bytes of the tar (uncompressed). */
  size: number;
  files: number;
}

export const ROOT = { uid: 0, gid: 0 } as const;

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Adds the parent directories of every entry (0755, root-owned) that are not listed already. */
export function withParents(entries: TarEntry[]): TarEntry[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  for (const entry of entries) {
    const parts = entry.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!byPath.has(dir)) byPath.set(dir, { path: dir, type: 'dir', mode: 0o755, ...ROOT });
    }
  }
  return [...byPath.values()];
}

export async function buildLayer(name: string, createdBy: string, entries: TarEntry[], mtime: number, level = 9): Promise<Layer> {
  const sorted = sortEntries(withParents(entries));
  const tar = writeTar(sorted, mtime);
  const gz = await gzip(tar, level);
  return {
    name,
    createdBy,
    gz,
    digest: sha256(gz),
    diffId: sha256(tar),
    size: tar.length,
    files: sorted.filter((e) => e.type === 'file').length,
  };
}

/** GNU gzip -n: reproducible (no file name or mtime in the header), and ~1 MiB smaller than zlib on the Node binary. */
function gzip(data: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('gzip', ['-n', `-${level}`, '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error) => reject(new Error(`gzip: ${error.message} (install Debian's gzip)`)));
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`gzip exited with ${code}: ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(data);
  });
}
