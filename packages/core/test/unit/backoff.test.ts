import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, BackoffPolicy, jittered } from '@flotilla/core';

/** A random source answering `value` every time. */
const always = (value: number) => () => value;

describe('BackoffPolicy', () => {
  test('without jitter the delay is the ceiling: doubling from initialMs, capped at maxMs', () => {
    const policy = new BackoffPolicy({ initialMs: 5, maxMs: 1_000, jitter: 'none' });
    assert.deepEqual(
      [1, 2, 3, 4, 8, 9, 50, 2_000].map((n) => policy.delayMs(n)),
      [5, 10, 20, 40, 640, 1_000, 1_000, 1_000],
    );
  });

  test('full jitter draws in [0, ceiling), whole milliseconds', () => {
    const at = (random: number, retry: number) => new BackoffPolicy({ initialMs: 100, maxMs: 250, random: always(random) }).delayMs(retry);
    assert.deepEqual([at(0.5, 1), at(0.5, 2), at(0.999, 3)], [50, 100, 249]);
    assert.equal(at(0, 3), 0);
  });

  test('equal jitter draws in [ceiling/2, ceiling)', () => {
    const at = (random: number, retry: number) =>
      new BackoffPolicy({ initialMs: 800, maxMs: 30_000, jitter: 'equal', random: always(random) }).delayMs(retry);
    assert.deepEqual([at(0, 1), at(0.5, 1), at(0.999, 1)], [400, 600, 799]);
    assert.deepEqual([at(0, 2), at(0, 3), at(0, 7), at(0, 20)], [800, 1_600, 15_000, 15_000]);
  });

  test('another factor changes the growth', () => {
    const policy = new BackoffPolicy({ initialMs: 10, maxMs: 1_000, factor: 3, jitter: 'none' });
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => policy.delayMs(n)),
      [10, 30, 90, 270, 810],
    );
  });
});

describe('Backoff', () => {
  test('next() walks the retries and reset() starts again from the first', () => {
    const backoff = new Backoff(new BackoffPolicy({ initialMs: 50, maxMs: 150, jitter: 'none' }));
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next(), backoff.next()], [50, 100, 150, 150]);
    backoff.reset();
    assert.equal(backoff.next(), 50);
  });

  test('two retriers over one policy keep their own count', () => {
    const policy = new BackoffPolicy({ initialMs: 50, maxMs: 10_000, jitter: 'none' });
    const a = new Backoff(policy);
    const b = new Backoff(policy);
    a.next();
    a.next();
    assert.deepEqual([a.next(), b.next()], [200, 50]);
  });
});

test('jittered stretches a duration by up to maxFactor of itself', () => {
  assert.equal(jittered(300, 1, always(0)), 300);
  assert.equal(jittered(300, 1, always(0.5)), 450);
  assert.equal(jittered(1_000, 0.2, always(0.5)), 1_100);
});
