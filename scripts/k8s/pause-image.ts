// The node's only container image, built here without a registry: pause/pause.c compiled
// with `gcc -static`, packed as a one-layer OCI image into an OCI archive (tar of an OCI
// image layout). Every byte is deterministic (fixed tar headers, mtime 0, no "created"
// field), so the image ID only changes with the binary. The archive is cached under
// ~/.cache/flotilla/images/ (FLOTILLA_CACHE_DIR moves it), keyed by the source.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** The image's name inside containerd (a full reference, so CRI never rewrites it to docker.io/...). */
export const PAUSE_IMAGE = 'flotilla.local/pause:1';

export interface TarEntry {
  name: string;
  data: Buffer;
  mode?: number;
}

function header(name: string, size: number, mode: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long: ${name}`);
  const h = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => {
    h.write(value, offset, length, 'ascii');
  };
  const octal = (offset: number, length: number, value: number) =>
    field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0); // uid
  octal(116, 8, 0); // gid
  octal(124, 12, size);
  octal(136, 12, 0); // mtime
  field(148, 8, '        '); // checksum placeholder
  field(156, 1, '0'); // regular file
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  field(265, 32, 'root');
  field(297, 32, 'root');
  let sum = 0;
  for (const byte of h) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A deterministic ustar archive of regular files. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry.name, entry.data.length, entry.mode ?? 0o644), entry.data);
    const pad = (512 - (entry.data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** An OCI archive holding one image whose only file is `binary` at /pause. */
export function ociArchive(binary: Buffer, ref: string): Buffer {
  const layer = tar([{ name: 'pause', data: binary, mode: 0o755 }]);
  const layerDigest = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/pause'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layer.length }],
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${sha256(manifest)}`,
          size: manifest.length,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': ref.slice(ref.lastIndexOf(':') + 1) },
        },
      ],
    }),
  );
  const blob = (data: Buffer): TarEntry => ({ name: `blobs/sha256/${sha256(data)}`, data });
  return tar([
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: index },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
}

function cacheRoot(): string {
  return process.env.FLOTILLA_CACHE_DIR ?? join(homedir(), '.cache', 'flotilla');
}

async function archivePath(): Promise<string> {
  const source = await readFile(join(here, 'pause', 'pause.c'));
  const key = sha256(`${sha256(source)}\n${PAUSE_IMAGE}\n${process.arch}`).slice(0, 16);
  return join(cacheRoot(), 'images', `flotilla-pause-${key}.tar`);
}

export async function pauseImageCached(): Promise<boolean> {
  return existsSync(await archivePath());
}

/** Path of the pause image archive, built (gcc -static) on first use. */
export async function pauseImageArchive(log: (m: string) => void): Promise<string> {
  const archive = await archivePath();
  if (existsSync(archive)) return archive;
  const dir = dirname(archive);
  const began = Date.now();
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'flotilla-pause-'));
  try {
    const binary = join(work, 'pause');
    await run('gcc', ['-static', '-Os', '-s', '-Wall', '-Werror', '-o', binary, join(here, 'pause', 'pause.c')]);
    const partial = `${archive}.${process.pid}.partial`;
    await writeFile(partial, ociArchive(await readFile(binary), PAUSE_IMAGE));
    await rename(partial, archive); // atomic: parallel builders write the same bytes
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log(`built pause image ${archive} in ${Date.now() - began} ms`);
  return archive;
}
