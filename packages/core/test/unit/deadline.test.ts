import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Clock,
  Deadline,
  DeadlineExceededError,
  FlotillaError,
  formatGrpcTimeout,
  parseGrpcTimeout,
  parseRequestTimeout,
} from '@flotilla/core';

/** A clock the test moves by hand. */
class FakeClock implements Clock {
  #time = 1_700_000_000_000;
  now(): number {
    return this.#time;
  }
  advance(ms: number): void {
    this.#time += ms;
  }
}

describe('Deadline', () => {
  test('from a request: the earliest of the route timeout, x-request-timeout and grpc-timeout', () => {
    const clock = new FakeClock();
    const now = clock.now();
    assert.equal(Deadline.fromRequest({ 'x-request-timeout': '300' }, { routeTimeoutMs: 1_000, clock }).at, now + 300);
    assert.equal(Deadline.fromRequest({ 'x-request-timeout': '3000' }, { routeTimeoutMs: 1_000, clock }).at, now + 1_000);
    assert.equal(Deadline.fromRequest({ 'x-request-timeout': '3000', 'grpc-timeout': '2S' }, { clock }).at, now + 2_000);
    assert.equal(Deadline.fromRequest({ 'grpc-timeout': '1500m' }, { routeTimeoutMs: 5_000, clock }).at, now + 1_500);
    assert.equal(Deadline.fromRequest({}, { clock }), Deadline.NONE);
  });

  test('malformed timeouts are bad-request errors naming the header', () => {
    for (const [header, value] of [
      ['x-request-timeout', 'soon'],
      ['x-request-timeout', '-5'],
      ['x-request-timeout', '1.5'],
      ['grpc-timeout', '10'],
      ['grpc-timeout', '123456789S'],
      ['grpc-timeout', '5x'],
    ]) {
      assert.throws(
        () => Deadline.fromRequest({ [header as string]: value }),
        (error: unknown) => error instanceof FlotillaError && error.code === 'bad-request' && error.message.includes(header as string),
        `${header}: ${value}`,
      );
    }
  });

  test('grpc-timeout units both ways', () => {
    assert.equal(parseGrpcTimeout('1H'), 3_600_000);
    assert.equal(parseGrpcTimeout('2M'), 120_000);
    assert.equal(parseGrpcTimeout('250000u'), 250);
    assert.equal(parseGrpcTimeout('5000000n'), 5);
    assert.equal(parseRequestTimeout(' 42 '), 42);
    assert.equal(formatGrpcTimeout(1234.9), '1234m');
    assert.equal(formatGrpcTimeout(200_000_000), '200000S');
  });

  test('remaining time shrinks with the clock; the header for the next hop says what is left', () => {
    const clock = new FakeClock();
    const deadline = Deadline.after(1_000, clock);
    assert.equal(deadline.toHeader(), '1000');
    clock.advance(350);
    assert.equal(deadline.remaining(), 650);
    assert.deepEqual(deadline.toHeaders(), { 'x-request-timeout': '650' });
    assert.equal(deadline.toGrpcTimeout(), '650m');
    clock.advance(700);
    assert.equal(deadline.remaining(), 0);
    assert.ok(deadline.expired());
    assert.throws(() => deadline.throwIfExpired(), DeadlineExceededError);
    assert.equal(Deadline.NONE.toHeader(), undefined);
    assert.equal(Deadline.NONE.remaining(), Number.POSITIVE_INFINITY);
  });

  test('earliest and within pick the tighter bound', () => {
    const clock = new FakeClock();
    const long = Deadline.after(5_000, clock);
    const short = Deadline.after(100, clock);
    assert.equal(long.earliest(short), short);
    assert.equal(short.earliest(long), short);
    assert.equal(Deadline.NONE.earliest(short), short);
    assert.equal(long.within(200).at, clock.now() + 200);
    assert.equal(short.within(200), short);
  });

  test('its signal fires at the deadline with a DeadlineExceededError', async () => {
    const deadline = Deadline.after(20);
    // The signal's timer is unref'd (it never holds a process open): keep this one up meanwhile.
    const keepAlive = setTimeout(() => undefined, 10_000);
    const reason = await new Promise((resolve) =>
      deadline.signal.addEventListener('abort', () => resolve(deadline.signal.reason), { once: true }),
    );
    clearTimeout(keepAlive);
    assert.ok(reason instanceof DeadlineExceededError);
    assert.equal(Deadline.after(0).signal.aborted, true);
    assert.equal(Deadline.NONE.signal.aborted, false);
  });
});
