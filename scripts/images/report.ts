/** The summary: a table for people, images.json for tools (and the tests). */
import type { BuiltImage } from './oci.ts';

export interface ImageSummary {
  image: string;
  reference: string;
  digest: string;
  /** What a pull transfers: the compressed layers plus the config. */
  compressed: number;
  /** The unpacked file system (the layers' tar sizes). */
  uncompressed: number;
  layers: { name: string; digest: string; diffId: string; compressed: number; uncompressed: number; files: number }[];
  layout: string;
  archive: string;
}

export function summarize(image: BuiltImage, layout: string, archive: string): ImageSummary {
  return {
    image: `${image.spec.name}:${image.tag}`,
    reference: image.reference,
    digest: image.manifest.digest,
    compressed: image.layers.reduce((sum, l) => sum + l.blob.length, 0) + image.config.data.length,
    uncompressed: image.layers.reduce((sum, l) => sum + l.size, 0),
    layers: image.layers.map((l) => ({
      name: l.name,
      digest: l.digest,
      diffId: l.diffId,
      compressed: l.blob.length,
      uncompressed: l.size,
      files: l.files,
    })),
    layout,
    archive,
  };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function imagesTable(summaries: ImageSummary[]): string {
  return table([
    ['image', 'compressed', 'uncompressed', 'digest'],
    ...summaries.map((s) => [s.image, mib(s.compressed), mib(s.uncompressed), s.digest]),
  ]);
}

export function layersTable(summaries: ImageSummary[]): string {
  const seen = new Map<string, { name: string; compressed: number; uncompressed: number; files: number; users: string[] }>();
  for (const s of summaries) {
    for (const l of s.layers) {
      const row = seen.get(l.digest) ?? { name: l.name, compressed: l.compressed, uncompressed: l.uncompressed, files: l.files, users: [] };
      row.users.push(s.image.split('/').pop()!.split(':')[0]!);
      seen.set(l.digest, row);
    }
  }
  return table([
    ['layer', 'compressed', 'uncompressed', 'files', 'digest (used by)'],
    ...[...seen].map(([digest, r]) => [
      r.name,
      mib(r.compressed),
      mib(r.uncompressed),
      String(r.files),
      `${digest.slice(0, 19)}… (${r.users.length === summaries.length ? 'all' : r.users.join(', ')})`,
    ]),
  ]);
}
