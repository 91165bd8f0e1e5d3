/**
 * A fixed log-scaled latency histogram: bucket i covers [MIN·γ^(i-1), MIN·γ^i),
 * so any quantile read from it is within ±3 % of the true value, recording is
 * one logarithm, and two sketches merge by adding counts. Windows are kept as
 * a ring of these and a running sum (see detector.ts).
 */
const GAMMA = 1.06;
const LOG_GAMMA = Math.log(GAMMA);
const MIN_MS = 0.05;
const MAX_MS = 600_000;
export const SKETCH_BUCKETS = 2 + Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GAMMA);

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(SKETCH_BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GAMMA));
}

/** A representative value of bucket i (its geometric middle). */
export function bucketValue(bucket: number): number {
  return bucket === 0 ? MIN_MS : MIN_MS * GAMMA ** (bucket - 0.5);
}

/** The q-quantile (0..1) of `counts` holding `total` samples; NaN when empty. */
export function quantileOf(counts: Uint32Array, total: number, q: number): number {
  if (total <= 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] as number;
    if (seen >= rank) return bucketValue(i);
  }
  return bucketValue(counts.length - 1);
}

/** How many samples of `counts` lie in buckets entirely above `threshold` ms. */
export function countAbove(counts: Uint32Array, threshold: number): number {
  let above = 0;
  for (let i = Math.min(counts.length, bucketOf(threshold) + 1); i < counts.length; i++) above += counts[i] as number;
  return above;
}
