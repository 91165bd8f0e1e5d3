import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ItemExponentialRateLimiter, MaxOfRateLimiter, TokenBucketRateLimiter } from '../../../src/runtime/rate-limiter.ts';
import { WorkQueue } from '../../../src/runtime/workqueue.ts';

test('a key added many times is queued once', async () => {
  const queue = new WorkQueue('t');
  queue.add('a');
  queue.add('a');
  queue.add('b');
  queue.add('a');
  assert.equal(queue.length, 2);
  assert.equal(await queue.get(), 'a');
  assert.equal(await queue.get(), 'b');
  queue.shutDown();
});

test('a key being processed is never handed to a second worker; re-adds run after done()', async () => {
  const queue = new WorkQueue('t');
  queue.add('k');
  const first = await queue.get();
  assert.equal(first, 'k');
  queue.add('k'); // changed while a worker holds it
  assert.equal(queue.length, 0, 'not queued while processing');
  let second: string | undefined;
  const waiting = queue.get().then((key) => {
    second = key;
  });
  // The queue hands keys out synchronously: one turn of the event loop runs every callback already due.
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined, 'a second worker must not get k yet');
  queue.done('k');
  await waiting;
  assert.equal(second, 'k');
  queue.done('k');
  queue.shutDown();
});

test('concurrent workers never hold the same key at once', async () => {
  const queue = new WorkQueue('t');
  const holding = new Set<string>();
  let overlaps = 0;
  let processed = 0;
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (holding.has(key)) overlaps += 1;
      holding.add(key);
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      holding.delete(key);
      processed += 1;
      queue.done(key);
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 5; i++) queue.add(`key-${i}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  // Until nothing is queued and no worker holds a key (a key re-added while held is queued again on done()).
  while (queue.length > 0 || holding.size > 0) await new Promise((r) => setTimeout(r, 5));
  queue.shutDown();
  await Promise.all(workers);
  assert.equal(overlaps, 0);
  assert.ok(processed >= 5, `processed ${processed}`);
});

test('addAfter delivers later and the earliest pending delay wins', async () => {
  const queue = new WorkQueue('t');
  queue.addAfter('x', 10_000);
  queue.addAfter('x', 30);
  assert.equal(queue.length, 0);
  assert.equal(await queue.get(), 'x');
  queue.done('x');
  queue.shutDown();
});

test('get() returns undefined after shutDown', async () => {
  const queue = new WorkQueue('t');
  const pending = queue.get();
  queue.shutDown();
  assert.equal(await pending, undefined);
});

test('per-item backoff doubles and forget() resets it', () => {
  const limiter = new ItemExponentialRateLimiter(5, 1000);
  assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('a'), limiter.when('b')], [5, 10, 20, 5]);
  assert.equal(limiter.retries('a'), 3);
  limiter.forget('a');
  assert.equal(limiter.when('a'), 5);
  for (let i = 0; i < 20; i++) limiter.when('c');
  assert.equal(limiter.when('c'), 1000, 'capped');
});

test('the controller limiter waits the larger of the per-item backoff and the overall bucket', () => {
  const both = new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000), new TokenBucketRateLimiter(10, 1, () => 0));
  assert.equal(both.when('k'), 5);
  assert.equal(both.when('k'), 100, 'the larger of the two');
});
