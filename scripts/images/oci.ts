/**
 * The OCI image: config and manifest JSON (keys sorted, no whitespace, so the
 * same inputs give the same bytes), an OCI image layout folder
 * (oci-layout, index.json, blobs/sha256/…) and the same layout as one tar
 * (`oci-archive`, what `ctr images import` and `skopeo copy oci-archive:` read).
 */
import { existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext } from './context.ts';
import { executablePath, LAYOUT, NODE_HEAP_OPTIONS, type ImageSpec } from './images.ts';
import { sha256, type Layer } from './layer.ts';
import { sortEntries, writeTar, type TarEntry } from './tar.ts';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export interface Blob {
  digest: string;
  data: Buffer;
}

export interface BuiltImage {
  spec: ImageSpec;
  /** e.g. docker.io/flotilla/users:0.1.0 */
  reference: string;
  tag: string;
  layers: Layer[];
  config: Blob;
  manifest: Blob;
}

/** JSON with object keys sorted at every level: stable bytes whatever order the code built them in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

function blob(value: unknown): Blob {
  const data = Buffer.from(canonicalJson(value));
  return { digest: sha256(data), data };
}

/** Exec form: the executable is PID 1. */
export function entrypoint(spec: ImageSpec): string[] {
  return [executablePath(spec)];
}

export function imageEnv(spec: ImageSpec): string[] {
  return [
    `PATH=${LAYOUT.app}`,
    'NODE_ENV=production',
    // An environment variable, not an entrypoint flag, so a Pod's own NODE_OPTIONS replaces it (an executable reads it as node does).
    `NODE_OPTIONS=${NODE_HEAP_OPTIONS}`,
    `FLOTILLA_HOME=${LAYOUT.home}`,
    `FLOTILLA_SEA_ASSETS_DIR=${LAYOUT.assets}`,
    ...(spec.configService === undefined ? [] : [`FLOTILLA_CONFIG_DIR=${LAYOUT.config}`]),
  ];
}

export function assembleImage(ctx: BuildContext, spec: ImageSpec, layers: Layer[], nodeVersion: string): BuiltImage {
  const created = new Date(ctx.epoch * 1000).toISOString().replace('.000Z', 'Z');
  const labels = {
    'org.opencontainers.image.title': spec.name,
    'org.opencontainers.image.description': spec.description,
    'org.opencontainers.image.version': ctx.version,
    'org.opencontainers.image.revision': ctx.revision,
    'org.opencontainers.image.created': created,
    'dev.flotilla.node.version': nodeVersion,
  };
  const config = blob({
    created,
    architecture: ctx.arch,
    os: 'linux',
    config: {
      User: `${LAYOUT.user.uid}:${LAYOUT.user.gid}`,
      Entrypoint: entrypoint(spec),
      Env: imageEnv(spec),
      WorkingDir: LAYOUT.home,
      Volumes: { [LAYOUT.home]: {} },
      ExposedPorts: Object.fromEntries(spec.ports.map((port) => [`${port}/tcp`, {}])),
      StopSignal: 'SIGTERM',
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created, created_by: `flotilla scripts/images: ${l.createdBy}`, comment: l.name })),
  });
  const manifest = blob({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: config.digest, size: config.data.length },
    layers: layers.map((l) => ({ mediaType: MEDIA.layer, digest: l.digest, size: l.blob.length })),
    annotations: {
      'org.opencontainers.image.version': ctx.version,
      'org.opencontainers.image.revision': ctx.revision,
      'org.opencontainers.image.created': created,
    },
  });
  return { spec, reference: `docker.io/${spec.name}:${ctx.version}`, tag: ctx.version, layers, config, manifest };
}

/** The files of an OCI image layout, by path relative to the layout's root. */
export function layoutFiles(ctx: BuildContext, image: BuiltImage): Map<string, Buffer> {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: image.manifest.digest,
        size: image.manifest.data.length,
        platform: { architecture: ctx.arch, os: 'linux' },
        annotations: {
          // skopeo and umoci find the image by this tag (oci:DIR:0.1.0) ...
          'org.opencontainers.image.ref.name': image.tag,
          // ... containerd (ctr images import) by its full name.
          'io.containerd.image.name': image.reference,
        },
      },
    ],
  };
  const files = new Map<string, Buffer>();
  files.set('oci-layout', Buffer.from(canonicalJson({ imageLayoutVersion: '1.0.0' })));
  files.set('index.json', Buffer.from(canonicalJson(index)));
  const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  files.set(blobPath(image.manifest.digest), image.manifest.data);
  files.set(blobPath(image.config.digest), image.config.data);
  for (const layer of image.layers) files.set(blobPath(layer.digest), layer.blob);
  return files;
}

/**
 * Writes `<out>/<short>/` (the layout) and `<out>/<short>.tar` (the same as an
 * oci-archive). `written` maps a blob's digest to a file already written, so
 * layouts share their common layers as hard links.
 */
export function writeImage(
  ctx: BuildContext,
  image: BuiltImage,
  out: string,
  written: Map<string, string>,
): { layout: string; archive: string; archiveSize: number } {
  const layout = join(out, image.spec.short);
  const archive = `${layout}.tar`;
  rmSync(layout, { recursive: true, force: true });
  rmSync(archive, { force: true });
  const files = layoutFiles(ctx, image);
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  for (const [rel, data] of files) {
    const path = join(layout, rel);
    const digest = rel.startsWith('blobs/') ? `sha256:${rel.slice('blobs/sha256/'.length)}` : undefined;
    const existing = digest === undefined ? undefined : written.get(digest);
    if (existing !== undefined && existsSync(existing)) {
      try {
        linkSync(existing, path);
        continue;
      } catch {
        // another file system: write a copy
      }
    }
    writeFileSync(path, data);
    if (digest !== undefined) written.set(digest, path);
  }
  const entries: TarEntry[] = [
    { path: 'blobs', type: 'dir', mode: 0o755, uid: 0, gid: 0 },
    { path: 'blobs/sha256', type: 'dir', mode: 0o755, uid: 0, gid: 0 },
    ...[...files].map(([rel, data]): TarEntry => ({ path: rel, type: 'file', mode: 0o644, uid: 0, gid: 0, data })),
  ];
  const tar = writeTar(sortEntries(entries), ctx.epoch);
  writeFileSync(archive, tar);
  return { layout, archive, archiveSize: tar.length };
}
