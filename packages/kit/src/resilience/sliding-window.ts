/**
 * SlidingCounts: a few counters over a sliding time window, kept in a ring of
 * buckets (window / buckets ms each). Old buckets are cleared as time moves
 * on, so the totals always cover the last `windowMs` (give or take the
 * bucket being filled). O(buckets) to read, O(1) to add; no timers.
 */
import type { Clock } from './clock.js';

export class SlidingCounts<K extends string> {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly buckets: number;
  readonly #keys: readonly K[];
  readonly #clock: Clock;
  /** Per bucket: which bucket number (time / bucketMs) it holds, and its counts. */
  readonly #epochs: number[];
  readonly #counts: number[][];

  constructor(keys: readonly K[], options: { windowMs: number; buckets: number; clock: Clock }) {
    if (!(options.windowMs > 0) || !Number.isInteger(options.buckets) || options.buckets < 1) {
      throw new RangeError(`A sliding window needs windowMs > 0 and a whole number of buckets ≥ 1 (got ${options.windowMs} ms, ${options.buckets})`);
    }
    this.windowMs = options.windowMs;
    this.bucketMs = options.windowMs / options.buckets;
    this.buckets = options.buckets;
    this.#keys = keys;
    this.#clock = options.clock;
    this.#epochs = new Array<number>(options.buckets).fill(Number.NEGATIVE_INFINITY);
    this.#counts = Array.from({ length: options.buckets }, () => new Array<number>(keys.length).fill(0));
  }

  add(key: K, n = 1): void {
    const epoch = Math.floor(this.#clock.now() / this.bucketMs);
    const slot = this.#slot(epoch);
    const counts = this.#counts[slot] as number[];
    if (this.#epochs[slot] !== epoch) {
      this.#epochs[slot] = epoch;
      counts.fill(0);
    }
    const index = this.#keys.indexOf(key);
    counts[index] = (counts[index] as number) + n;
  }

  /** Every counter summed over the window. */
  totals(): Record<K, number> {
    const epoch = Math.floor(this.#clock.now() / this.bucketMs);
    const oldest = epoch - this.#epochs.length + 1;
    const sums = new Array<number>(this.#keys.length).fill(0);
    this.#epochs.forEach((bucketEpoch, slot) => {
      if (bucketEpoch < oldest || bucketEpoch > epoch) return;
      const counts = this.#counts[slot] as number[];
      for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] as number) + (counts[i] as number);
    });
    return Object.fromEntries(this.#keys.map((key, i) => [key, sums[i]])) as Record<K, number>;
  }

  #slot(epoch: number): number {
    const length = this.#epochs.length;
    return ((epoch % length) + length) % length;
  }
}
