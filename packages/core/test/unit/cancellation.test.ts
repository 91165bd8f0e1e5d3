import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cancellation } from '@flotilla/core';

describe('Cancellation', () => {
  test('abort calls each listener once with the reason, and later aborts change nothing', () => {
    const cancellation = Cancellation.create();
    const seen: unknown[] = [];
    cancellation.onAbort((reason) => seen.push(['a', reason]));
    cancellation.onAbort((reason) => seen.push(['b', reason]));
    const reason = new Error('stop');
    cancellation.abort(reason);
    cancellation.abort(new Error('again'));
    assert.deepEqual(seen, [
      ['a', reason],
      ['b', reason],
    ]);
    assert.equal(cancellation.aborted, true);
    assert.equal(cancellation.reason, reason);
  });

  test('an unsubscribed listener is not called', () => {
    const cancellation = Cancellation.create();
    let called = false;
    const stop = cancellation.onAbort(() => (called = true));
    stop();
    cancellation.abort(new Error('stop'));
    assert.equal(called, false);
  });

  test('its signal fires with it, whether made before or after the abort', () => {
    const before = Cancellation.create();
    const signal = before.signal;
    const reason = new Error('stop');
    before.abort(reason);
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, reason);

    const after = Cancellation.create();
    after.abort(reason);
    assert.equal(after.signal.aborted, true);
    assert.equal(after.signal.reason, reason);
  });

  test('fromSignal follows an AbortSignal and cannot be aborted itself', () => {
    const controller = new AbortController();
    const cancellation = Cancellation.fromSignal(controller.signal);
    const seen: unknown[] = [];
    cancellation.onAbort((reason) => seen.push(reason));
    assert.equal(cancellation.signal, controller.signal);
    assert.throws(() => cancellation.abort(new Error('no')), TypeError);
    controller.abort('gone');
    assert.equal(cancellation.aborted, true);
    assert.equal(cancellation.reason, 'gone');
    assert.deepEqual(seen, ['gone']);
  });

  test('NEVER never fires', () => {
    let called = false;
    Cancellation.NEVER.onAbort(() => (called = true));
    Cancellation.NEVER.abort(new Error('no'));
    assert.equal(Cancellation.NEVER.aborted, false);
    assert.equal(Cancellation.NEVER.signal.aborted, false);
    assert.equal(called, false);
  });
});
