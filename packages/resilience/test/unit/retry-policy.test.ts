import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineExceededError, FlotillaError, NotFoundError, UnavailableError } from '@flotilla/kit';
import { MetricsRegistry } from '@flotilla/telemetry';
import { Deadline, isIdempotentHttp, isRetryableError, RetryBudget, RetryPolicy, type RetryEvent } from '@flotilla/resilience';
import { parseExposition, sampleValue } from '@flotilla/testing';
import { FakeClock, sequence } from './support.ts';

/** A sleep that only moves the fake clock, recording each wait. */
function fakeSleep(clock: FakeClock, waits: number[]) {
  return async (ms: number): Promise<void> => {
    waits.push(ms);
    clock.advance(ms);
  };
}

/** An operation failing with each given error in turn, then answering "ok". */
function failing(...errors: unknown[]) {
  const attempts: number[] = [];
  return {
    attempts,
    fn: async ({ attempt }: { attempt: number }): Promise<string> => {
      attempts.push(attempt);
      const error = errors.shift();
      if (error !== undefined) throw error;
      return 'ok';
    },
  };
}

describe('isIdempotentHttp', () => {
  test('idempotent methods, or any method with an Idempotency-Key', () => {
    for (const method of ['GET', 'head', 'PUT', 'DELETE', 'OPTIONS']) assert.equal(isIdempotentHttp(method), true, method);
    assert.equal(isIdempotentHttp('POST'), false);
    assert.equal(isIdempotentHttp('PATCH', {}), false);
    assert.equal(isIdempotentHttp('POST', { 'idempotency-key': 'k-1' }), true);
    assert.equal(isIdempotentHttp('POST', { 'Idempotency-Key': 'k-1' }), true);
    assert.equal(isIdempotentHttp('POST', { 'idempotency-key': '' }), false);
    assert.equal(isIdempotentHttp('POST', new Headers({ 'Idempotency-Key': 'k-2' })), true);
  });
});

describe('isRetryableError', () => {
  test('unavailable, bad-gateway and connection errors; never deadlines, 4xx kinds or our own rejections', () => {
    assert.equal(isRetryableError(new UnavailableError('down')), true);
    assert.equal(isRetryableError(new FlotillaError('bad-gateway', 'bad')), true);
    assert.equal(
      isRetryableError(new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) })),
      true,
    );
    assert.equal(isRetryableError(new DeadlineExceededError()), false);
    assert.equal(isRetryableError(new NotFoundError('no')), false);
    assert.equal(isRetryableError(new FlotillaError('circuit-open', 'open')), false);
    assert.equal(isRetryableError(new FlotillaError('overloaded', 'full')), false);
    assert.equal(isRetryableError(new Error('bug')), false);
  });
});

describe('RetryPolicy', () => {
  test('a call not marked idempotent runs once', async () => {
    const op = failing(new UnavailableError('down'));
    await assert.rejects(new RetryPolicy({ sleep: async () => undefined }).execute(op.fn), UnavailableError);
    assert.deepEqual(op.attempts, [1]);
  });

  test('retries a retryable failure, numbering the attempts, with full-jitter exponential backoff', async () => {
    const clock = new FakeClock();
    const waits: number[] = [];
    const events: RetryEvent[] = [];
    const op = failing(new UnavailableError('a'), new UnavailableError('b'), new UnavailableError('c'));
    const policy = new RetryPolicy({
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 250,
      random: sequence(0.5, 0.5, 0.999),
      sleep: fakeSleep(clock, waits),
      onRetry: (e) => events.push(e),
    });
    assert.equal(await policy.execute(op.fn, { idempotent: true }), 'ok');
    assert.deepEqual(op.attempts, [1, 2, 3, 4]);
    // Ceilings 100, 200, then 400 capped at 250; the waits are random fractions of them.
    assert.deepEqual(waits, [50, 100, 249]);
    assert.deepEqual(
      events.map((e) => e.attempt),
      [2, 3, 4],
    );
  });

  test('stops after maxAttempts with the last error', async () => {
    const op = failing(new UnavailableError('1'), new UnavailableError('2'), new UnavailableError('3'), new UnavailableError('4'));
    await assert.rejects(new RetryPolicy({ maxAttempts: 3, sleep: async () => undefined }).execute(op.fn, { idempotent: true }), /3/);
    assert.deepEqual(op.attempts, [1, 2, 3]);
  });

  test('never retries a deadline, a 4xx kind or an unknown error', async () => {
    for (const error of [new DeadlineExceededError(), new NotFoundError('x'), new Error('bug')]) {
      const op = failing(error);
      await assert.rejects(new RetryPolicy({ sleep: async () => undefined }).execute(op.fn, { idempotent: true }));
      assert.deepEqual(op.attempts, [1], error.message);
    }
  });

  test('a custom predicate decides', async () => {
    const op = failing(new NotFoundError('replica lagging'));
    const policy = new RetryPolicy({ retryable: (e) => e instanceof NotFoundError, sleep: async () => undefined });
    assert.equal(await policy.execute(op.fn, { idempotent: true }), 'ok');
  });

  test('does not sleep past the deadline nor start an attempt that cannot finish', async () => {
    const clock = new FakeClock();
    const waits: number[] = [];
    const reasons: string[] = [];
    const op = failing(new UnavailableError('1'), new UnavailableError('2'), new UnavailableError('3'));
    const policy = new RetryPolicy({
      maxAttempts: 5,
      baseDelayMs: 100,
      minAttemptMs: 20,
      random: () => 0.5,
      sleep: fakeSleep(clock, waits),
      onGiveUp: (e) => reasons.push(e.reason),
    });
    // 140 ms: wait 50 (90 left), then would wait 100 with 90 left — refused.
    await assert.rejects(policy.execute(op.fn, { idempotent: true, deadline: Deadline.after(140, clock) }), /2/);
    assert.deepEqual(op.attempts, [1, 2]);
    assert.deepEqual(waits, [50]);
    assert.deepEqual(reasons, ['deadline']);
  });

  test('a resolved value can stand for a failure (failureOf): retried, and returned as is when retries run out', async () => {
    let calls = 0;
    const policy = new RetryPolicy({ maxAttempts: 2, sleep: async () => undefined });
    const status = await policy.execute(
      async () => {
        ++calls;
        return 503;
      },
      {
        idempotent: true,
        failureOf: (s) => (s >= 500 ? new UnavailableError(`status ${s}`) : undefined),
      },
    );
    assert.equal(status, 503);
    assert.equal(calls, 2);
  });

  test('the budget refuses retries once spent, and says so in metrics', async () => {
    const clock = new FakeClock();
    const metrics = new MetricsRegistry();
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 0, windowMs: 10_000, clock });
    const policy = new RetryPolicy({
      upstream: 'users',
      maxAttempts: 3,
      budget,
      metrics,
      sleep: async () => undefined,
    });
    let hits = 0;
    const alwaysDown = async (): Promise<never> => {
      hits++;
      throw new UnavailableError('down');
    };
    for (let i = 0; i < 20; i++) await assert.rejects(policy.execute(alwaysDown, { idempotent: true }));
    const retries = hits - 20;
    assert.ok(retries <= 0.2 * 20, `${retries} retries for 20 requests`);
    assert.ok(retries > 0);
    const samples = parseExposition(await metrics.metrics());
    assert.equal(sampleValue(samples, 'flotilla_retries_total', { upstream: 'users', outcome: 'failure' }), retries);
    assert.ok(sampleValue(samples, 'flotilla_retry_budget_exhausted_total', { upstream: 'users' }) > 0);
  });
});

describe('RetryBudget', () => {
  test('retries ≤ ratio × requests + floor × window seconds', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000, clock });
    for (let i = 0; i < 50; i++) budget.recordRequest();
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    assert.equal(granted, 0.2 * 50 + 10);
    assert.deepEqual(budget.status(), {
      ratio: 0.2,
      minRetriesPerSecond: 1,
      windowMs: 10_000,
      requests: 50,
      retries: 20,
      available: 0,
    });
  });

  test('the window slides: old requests and retries age out', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1_000, buckets: 10, clock });
    for (let i = 0; i < 4; i++) budget.recordRequest();
    assert.equal(budget.tryAcquire(), true);
    assert.equal(budget.tryAcquire(), true);
    assert.equal(budget.tryAcquire(), false);
    clock.advance(1_000);
    assert.equal(budget.status().requests, 0);
    assert.equal(budget.tryAcquire(), false, 'no traffic, no floor: no retries');
    budget.recordRequest();
    budget.recordRequest();
    assert.equal(budget.tryAcquire(), true);
  });

  test('configure keeps the counts when the window stays the same', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.1, minRetriesPerSecond: 0, clock });
    for (let i = 0; i < 10; i++) budget.recordRequest();
    budget.configure({ ratio: 0.3 });
    assert.equal(budget.status().requests, 10);
    assert.equal(budget.status().available, 3);
    budget.configure({ windowMs: 20_000 });
    assert.equal(budget.status().requests, 0);
  });
});
