/**
 * Running totals of a Prometheus histogram summed per series key (a route,
 * an upstream), and what happened between two readings of them: a rate, an
 * error share and quantiles from the bucket counts, interpolated within a
 * bucket as PromQL's `histogram_quantile` does.
 */

/** One key's counts since the process started. */
export interface Totals {
  count: number;
  errors: number;
  /** Cumulative count per upper bound (`le`), Infinity included. */
  buckets: Map<number, number>;
}

export interface IntervalFigures {
  rate: number;
  errorRate: number;
  p50: number | null;
  p99: number | null;
}

export function emptyTotals(): Totals {
  return { count: 0, errors: 0, buckets: new Map() };
}

/** The figures of the interval between `before` and `after` (`before` undefined: the key is new). */
export function intervalFigures(before: Totals | undefined, after: Totals, seconds: number): IntervalFigures {
  // A total that went down means the series was reset: count everything since.
  const reset = before !== undefined && after.count < before.count;
  const base = before === undefined || reset ? emptyTotals() : before;
  const count = after.count - base.count;
  const errors = Math.max(0, after.errors - base.errors);
  if (count <= 0) return { rate: 0, errorRate: 0, p50: null, p99: null };
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const cumulative = bounds.map((le) => (after.buckets.get(le) ?? 0) - (base.buckets.get(le) ?? 0));
  return {
    rate: count / seconds,
    errorRate: Math.min(1, errors / count),
    p50: quantile(0.5, bounds, cumulative),
    p99: quantile(0.99, bounds, cumulative),
  };
}

/** `histogram_quantile` over cumulative bucket counts; the highest finite bound when the rank falls in +Inf. */
export function quantile(q: number, bounds: readonly number[], cumulative: readonly number[]): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const upper = bounds[i] as number;
    const count = cumulative[i] as number;
    if (count >= rank) {
      if (upper === Number.POSITIVE_INFINITY) return i > 0 ? (bounds[i - 1] as number) : null;
      if (count === lowerCount) return upper;
      return lowerBound + ((upper - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = upper;
    lowerCount = count;
  }
  return null;
}
