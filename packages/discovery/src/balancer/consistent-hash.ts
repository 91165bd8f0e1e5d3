/**
 * Consistent hashing on a ring with virtual nodes (Karger et al.): each
 * instance owns `virtualNodes × weight / 100` points; a key goes to the first
 * point at or after its hash. When the owner is not available (ejected,
 * another tier, not serving) the walk continues clockwise, so only that
 * owner's keys move.
 */
import { createHash } from 'node:crypto';
import type { Instance } from '../types.ts';

function hash32(text: string): number {
  return createHash('md5').update(text).digest().readUInt32BE(0);
}

export class HashRing {
  #points: Array<{ hash: number; id: string }> = [];
  readonly #virtualNodes: number;

  constructor(virtualNodes = 160) {
    this.#virtualNodes = virtualNodes;
  }

  /** Rebuilds the ring for a new instance list. */
  build(instances: readonly Instance[]): void {
    const points: Array<{ hash: number; id: string }> = [];
    for (const instance of instances) {
      const count = Math.max(1, Math.round((this.#virtualNodes * instance.weight) / 100));
      for (let i = 0; i < count; i++) points.push({ hash: hash32(`${instance.id}#${i}`), id: instance.id });
    }
    this.#points = points.sort((x, y) => x.hash - y.hash || (x.id < y.id ? -1 : 1));
  }

  /** The owner of `key` among `candidates` (by id), or undefined when none is on the ring. */
  lookup(key: string, candidates: ReadonlySet<string>): string | undefined {
    const points = this.#points;
    if (points.length === 0) return undefined;
    const target = hash32(key);
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]!.hash < target) low = mid + 1;
      else high = mid;
    }
    for (let step = 0; step < points.length; step++) {
      const point = points[(low + step) % points.length]!;
      if (candidates.has(point.id)) return point.id;
    }
    return undefined;
  }
}
