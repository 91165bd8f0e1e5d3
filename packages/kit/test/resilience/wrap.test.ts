import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Deadline, wrap, type ExecuteOptions, type Operation, type Policy } from '@flotilla/kit/resilience';
import { FakeClock } from './support.ts';

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
    const seen = await wrap(tracer('a', log), tracer('b', log)).execute(
      async (context) => {
        log.push('call');
        return { idempotent: context.idempotent, deadline: context.deadline, attempt: context.attempt };
      },
      { idempotent: true, deadline },
    );
    assert.deepEqual(log, ['a>', 'b>', 'call', '<b', '<a']);
    assert.deepEqual(seen, { idempotent: true, deadline, attempt: 1 });
  });
});
