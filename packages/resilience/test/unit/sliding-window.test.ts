import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlidingCounts } from '../../src/sliding-window.ts';

function window(): { counts: SlidingCounts<'requests' | 'accepts'>; clock: { ms: number } } {
  const clock = { ms: 1_000_000 };
  return {
    counts: new SlidingCounts(['requests', 'accepts'], {
      windowMs: 1_000,
      buckets: 10,
      clock: { now: () => clock.ms },
    }),
    clock,
  };
}

describe('SlidingCounts', () => {
  test('sums what was added inside the window, per counter', () => {
    const { counts, clock } = window();
    counts.add('requests', 3);
    clock.ms += 450;
    counts.add('requests');
    counts.add('accepts', 2);
    assert.equal(counts.count('requests'), 4);
    assert.equal(counts.count('accepts'), 2);
    assert.deepEqual(counts.totals(), { requests: 4, accepts: 2 });
  });

  test('buckets leave the sums as they fall out of the window, one at a time', () => {
    const { counts, clock } = window();
    counts.add('requests', 5); // bucket 0
    clock.ms += 500;
    counts.add('requests', 2); // bucket 5
    clock.ms += 500; // bucket 0's time is a full window ago
    assert.equal(counts.count('requests'), 2);
    clock.ms += 500;
    assert.equal(counts.count('requests'), 0);
  });

  test('a gap longer than the window empties it, and counting resumes from zero', () => {
    const { counts, clock } = window();
    counts.add('requests', 7);
    clock.ms += 60_000;
    assert.equal(counts.count('requests'), 0);
    counts.add('requests');
    assert.equal(counts.count('requests'), 1);
  });

  test('a clock stepping back keeps the counts', () => {
    const { counts, clock } = window();
    counts.add('requests', 2);
    clock.ms -= 5_000;
    counts.add('requests');
    assert.equal(counts.count('requests'), 3);
  });
});
