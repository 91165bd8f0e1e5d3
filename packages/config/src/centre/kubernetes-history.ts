/**
 * Keeping the history ConfigMap under the 1 MiB object limit: the newest
 * versions are kept, at most `maxVersions` of them and at most `maxBytes` of
 * JSON together; the newest is always kept. Older versions are dropped for
 * good (get/diff/rollback to them answer NotFound), their numbers never reused.
 */

export interface HistoryLimits {
  /** Default 50. */
  maxVersions: number;
  /** Default 768 KiB: leaves room under 1 MiB for keys and metadata. */
  maxBytes: number;
}

export function trimHistory(data: Record<string, string>, limits: HistoryLimits): Record<string, string> {
  const newestFirst = Object.keys(data).sort().reverse();
  const kept: Record<string, string> = {};
  let bytes = 0;
  for (const [index, key] of newestFirst.entries()) {
    const size = Buffer.byteLength(key) + Buffer.byteLength(data[key]!);
    if (index > 0 && (index >= limits.maxVersions || bytes + size > limits.maxBytes)) break;
    kept[key] = data[key]!;
    bytes += size;
  }
  return kept;
}
