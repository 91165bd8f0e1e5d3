import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fallback, handleAll, timeout, TimeoutStrategy } from 'cockatiel';
import { UnavailableError } from '@flotilla/kit';
import { Deadline, fromCockatiel, RetryPolicy, wrap, type ExecuteOptions, type Operation, type Policy } from '@flotilla/kit/resilience';
import { FakeClock } from './support.js';

/** A policy that records when it is entered and left. */
function tracer(name: string, log: string[]): Policy {
  return {
    async execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
      log.push(`${name}>`);
      try {
        return await wrap().execute(fn, options);
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe('wrap', () => {
  test('runs the policies outer to inner around the call, passing the context through', async () => {
    const log: string[] = [];
    const clock = new FakeClock();
    const deadline = Deadline.after(1_000, clock);
    const seen = await wrap(tracer('a', log), tracer('b', log)).execute(async (context) => {
      log.push('call');
      return { idempotent: context.idempotent, deadline: context.deadline, attempt: context.attempt };
    }, { idempotent: true, deadline });
    assert.deepEqual(log, ['a>', 'b>', 'call', '<b', '<a']);
    assert.deepEqual(seen, { idempotent: true, deadline, attempt: 1 });
  });
});

describe('fromCockatiel', () => {
  test('a cockatiel fallback around our retry answers when the retries are spent', async () => {
    let calls = 0;
    const policy = wrap(fromCockatiel(fallback(handleAll, 'cached')), new RetryPolicy({ maxAttempts: 2, sleep: async () => undefined }));
    const answer = await policy.execute(async () => {
      calls++;
      throw new UnavailableError('down');
    }, { idempotent: true });
    assert.equal(answer, 'cached');
    assert.equal(calls, 2);
  });

  test('a cockatiel timeout hands the call a signal that fires', async () => {
    const policy = fromCockatiel(timeout(20, TimeoutStrategy.Cooperative));
    const aborted = await policy.execute(
      ({ signal }) => new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(true), { once: true })),
    );
    assert.equal(aborted, true);
  });
});
