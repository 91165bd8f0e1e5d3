/**
 * Buckets in this process, with bounded memory. The map is kept in
 * least-recently-used order (a take moves its bucket to the end); each take
 * also looks at the oldest few buckets and drops those that have refilled
 * (forgetting a full bucket changes no decision). Past `maxBuckets` the
 * least recently used bucket goes even if it is not full: memory stays
 * bounded under a flood of distinct keys, at the price of a fresh bucket for
 * a client idle long enough to be the oldest.
 */
import { isFull, takeTokens, type BucketResult, type BucketShape, type BucketState } from '@flotilla/core';

/** A bucket's state, with the shape it was last taken with (the sweep needs it to tell a full bucket). */
interface Entry extends BucketState {
  shape: BucketShape;
}

/** How many of the oldest buckets one take examines for idleness. */
const SWEEP_PER_TAKE = 4;

export class LocalBucketStore {
  readonly #buckets = new Map<string, Entry>();
  #maxBuckets: number;
  readonly #now: () => number;

  constructor(options: { maxBuckets: number; now?: () => number }) {
    this.#maxBuckets = options.maxBuckets;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#buckets.size;
  }

  set maxBuckets(value: number) {
    this.#maxBuckets = value;
    this.#evictOverflow();
  }

  take(key: string, shape: BucketShape, cost = 1): BucketResult {
    const now = this.#now();
    let entry = this.#buckets.get(key);
    if (entry === undefined) entry = { tokens: shape.capacity, at: now, shape };
    else this.#buckets.delete(key); // re-inserted below: the map stays in least-recently-used order
    entry.shape = shape;
    const result = takeTokens(entry, now, shape, cost);
    this.#buckets.set(key, entry);
    this.#sweep(now, key);
    this.#evictOverflow();
    return result;
  }

  clear(): void {
    this.#buckets.clear();
  }

  #sweep(now: number, justTaken: string): void {
    let examined = 0;
    // Keys, not entries: no [key, value] pair allocated per step on this per-request path.
    for (const key of this.#buckets.keys()) {
      if (examined++ >= SWEEP_PER_TAKE || key === justTaken) return;
      const entry = this.#buckets.get(key) as Entry;
      if (isFull(entry, now, entry.shape)) this.#buckets.delete(key);
    }
  }

  #evictOverflow(): void {
    while (this.#buckets.size > this.#maxBuckets) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done === true) return;
      this.#buckets.delete(oldest.value);
    }
  }
}
