import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { sleep, sleepUnlessAborted } from '@flotilla/core';

/** Timers that move only when the test ticks them (and are reset after it). */
function fakeTimers(context: TestContext) {
  context.mock.timers.enable({ apis: ['setTimeout'] });
  return context.mock.timers;
}

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('sleep', () => {
  test('resolves once the time has passed', async (context) => {
    const timers = fakeTimers(context);
    const waiting = sleep(100);
    timers.tick(99);
    assert.equal(await settled(waiting), false);
    timers.tick(1);
    await waiting;
  });

  test('no time at all resolves at once', async () => {
    assert.equal(await settled(sleep(0)), true);
  });

  test('rejects with the reason of whichever signal fires', async (context) => {
    fakeTimers(context);
    const first = new AbortController();
    const second = new AbortController();
    const waiting = sleep(60_000, first.signal, second.signal);
    const reason = new Error('stop');
    second.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    first.abort();
  });

  test('an already aborted signal rejects before any wait', async () => {
    const reason = new Error('gone');
    await assert.rejects(sleep(60_000, AbortSignal.abort(reason)), (error) => error === reason);
  });
});

describe('sleepUnlessAborted', () => {
  test('resolves early, without an error, when the signal fires', async (context) => {
    fakeTimers(context);
    const controller = new AbortController();
    const waiting = sleepUnlessAborted(60_000, controller.signal);
    assert.equal(await settled(waiting), false);
    controller.abort(new Error('stop'));
    await waiting;
    assert.equal(await settled(sleepUnlessAborted(60_000, controller.signal)), true);
  });

  test('otherwise waits the whole time', async (context) => {
    const timers = fakeTimers(context);
    const waiting = sleepUnlessAborted(100, new AbortController().signal);
    timers.tick(99);
    assert.equal(await settled(waiting), false);
    timers.tick(1);
    await waiting;
  });
});
