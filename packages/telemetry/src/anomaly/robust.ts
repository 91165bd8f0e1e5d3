/**
 * Robust location and scale: the median and the median absolute deviation.
 * Both ignore up to half the sample being wild, so a GC pause or a burst of
 * slow requests in the baseline neither moves it nor widens its spread.
 * 1.4826·MAD estimates the standard deviation for normally distributed data.
 */
export const MAD_TO_SIGMA = 1.4826;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function medianAbsoluteDeviation(values: readonly number[], center = median(values)): number {
  return median(values.map((value) => Math.abs(value - center)));
}
