/**
 * One interval's traffic figures from two readings of a histogram's running
 * totals: rate, error share, and quantiles interpolated within a bucket as
 * PromQL's histogram_quantile does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { intervalFigures, quantile, type Totals } from '../../../src/admin/histogram-totals.ts';

const INF = Number.POSITIVE_INFINITY;

function totals(count: number, errors: number, buckets: Array<[number, number]>): Totals {
  return { count, errors, buckets: new Map(buckets) };
}

describe('histogram totals', () => {
  test('the difference of two readings: requests per second, error share, p50 and p99', () => {
    const before = totals(100, 2, [
      [0.01, 50],
      [0.1, 90],
      [1, 100],
      [INF, 100],
    ]);
    // 200 more: 100 under 10 ms, 80 more under 100 ms, 20 more under 1 s; 10 failed.
    const after = totals(300, 12, [
      [0.01, 150],
      [0.1, 270],
      [1, 300],
      [INF, 300],
    ]);
    const figures = intervalFigures(before, after, 5);
    assert.equal(figures.rate, 40);
    assert.equal(figures.errorRate, 0.05);
    assert.equal(figures.p50, 0.01); // rank 100 of 200: the end of the first bucket
    assert.ok(Math.abs((figures.p99 as number) - 0.91) < 1e-9, String(figures.p99)); // rank 198: 18 of 20 into (0.1, 1]
  });

  test('an interval without requests has no latency', () => {
    const same = totals(10, 0, [
      [0.1, 10],
      [INF, 10],
    ]);
    assert.deepEqual(intervalFigures(same, same, 5), { rate: 0, errorRate: 0, p50: null, p99: null });
  });

  test('a key seen for the first time, or a reset series, counts everything it holds', () => {
    const now = totals(4, 1, [
      [0.1, 4],
      [INF, 4],
    ]);
    assert.equal(intervalFigures(undefined, now, 2).rate, 2);
    const earlier = totals(50, 0, [
      [0.1, 50],
      [INF, 50],
    ]);
    assert.equal(intervalFigures(earlier, now, 2).rate, 2);
  });

  test('a rank in the +Inf bucket is the highest finite bound', () => {
    assert.equal(quantile(0.99, [0.1, 1, INF], [0, 0, 10]), 1);
    assert.equal(quantile(0.5, [0.1, 1, INF], [0, 0, 0]), null);
  });
});
