import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fullBucket, isFull, reserveTokens, takeTokens, type BucketShape } from '@flotilla/core';

/** 10 tokens a second, a burst of 3. */
const shape: BucketShape = { capacity: 3, refillPerMs: 10 / 1_000 };

describe('takeTokens', () => {
  test('allows the burst, then refuses with the wait until a token is back', () => {
    const bucket = fullBucket(shape, 0);
    const taken = [1, 2, 3].map(() => takeTokens(bucket, 0, shape, 1));
    assert.deepEqual(
      taken.map((r) => [r.allowed, r.remaining, r.resetMs]),
      [
        [true, 2, 100],
        [true, 1, 200],
        [true, 0, 300],
      ],
    );
    assert.deepEqual(takeTokens(bucket, 0, shape, 1), { allowed: false, remaining: 0, resetMs: 300, retryAfterMs: 100 });
    assert.deepEqual(takeTokens(bucket, 40, shape, 1), { allowed: false, remaining: 0, resetMs: 260, retryAfterMs: 60 });
    assert.equal(takeTokens(bucket, 100, shape, 1).allowed, true);
  });

  test('a refused take leaves the tokens it found', () => {
    const bucket = fullBucket(shape, 0);
    assert.equal(takeTokens(bucket, 0, shape, 2).allowed, true);
    assert.deepEqual(takeTokens(bucket, 0, shape, 2), { allowed: false, remaining: 1, resetMs: 200, retryAfterMs: 100 });
    assert.equal(bucket.tokens, 1);
  });

  test('refill stops at the capacity and ignores a clock that went backwards', () => {
    const bucket = fullBucket(shape, 1_000);
    takeTokens(bucket, 1_000, shape, 3);
    assert.equal(takeTokens(bucket, 500, shape, 1).allowed, false);
    assert.equal(takeTokens(bucket, 60_500, shape, 1).remaining, 2);
  });
});

describe('reserveTokens', () => {
  test('allows the burst, then spaces the reservations out at the refill rate', () => {
    const bucket = fullBucket(shape, 0);
    assert.deepEqual(
      [0, 0, 0, 0, 0].map((now) => reserveTokens(bucket, now, shape, 1)),
      [0, 0, 0, 100, 200],
    );
    assert.equal(reserveTokens(bucket, 1_000, shape, 1), 0, 'refilled after a second');
  });
});

describe('isFull', () => {
  test('is true once the bucket has refilled completely', () => {
    const bucket = fullBucket(shape, 0);
    assert.equal(isFull(bucket, 0, shape), true);
    takeTokens(bucket, 0, shape, 2);
    assert.equal(isFull(bucket, 199, shape), false);
    assert.equal(isFull(bucket, 200, shape), true);
  });
});
