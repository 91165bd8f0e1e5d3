import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Deadline,
  wrap,
  type ExecuteOptions,
  type Operation,
  type Policy,
  type PolicyStep,
  type SteppedPolicy,
} from '@flotilla/resilience';
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

/** A stepped policy that records its entries and exits; `refuse`/`wait` change what `enter` does. */
function stepper(name: string, log: string[], behaviour: { refuse?: boolean; wait?: Promise<void> } = {}): SteppedPolicy {
  const step: PolicyStep = {
    enter: () => {
      log.push(`${name}>`);
      if (behaviour.refuse === true) {
        const error = new Error(`${name} refused`);
        return { error, answer: Promise.reject(error) };
      }
      return behaviour.wait;
    },
    leave: (_context, outcome) => log.push(`<${name}:${outcome.ok ? 'ok' : (outcome.error as Error).message}`),
  };
  return {
    step,
    execute: () => {
      throw new Error('wrap() runs the step form');
    },
  };
}

describe('wrap fuses neighbouring stepped policies', () => {
  test('steps are entered outer to inner and left inner to outer with the outcome', async () => {
    const log: string[] = [];
    const value = await wrap(stepper('bulkhead', log), stepper('breaker', log), tracer('retry', log)).execute(async () => {
      log.push('call');
      return 42;
    });
    assert.equal(value, 42);
    assert.deepEqual(log, ['bulkhead>', 'breaker>', 'retry>', 'call', '<retry', '<breaker:ok', '<bulkhead:ok']);
  });

  test('a failed call is the outcome every entered step is left with', async () => {
    const log: string[] = [];
    await assert.rejects(
      wrap(stepper('a', log), stepper('b', log)).execute(async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(log, ['a>', 'b>', '<b:boom', '<a:boom']);
  });

  test('a refusing step answers for the call, and only the steps entered before it are left', async () => {
    const log: string[] = [];
    let called = false;
    await assert.rejects(
      wrap(stepper('a', log), stepper('b', log, { refuse: true }), stepper('c', log)).execute(async () => {
        called = true;
      }),
      /b refused/,
    );
    assert.equal(called, false);
    assert.deepEqual(log, ['a>', 'b>', '<a:b refused']);
  });

  test('a step that must wait lets the call on once the wait is over', async () => {
    const log: string[] = [];
    let open: () => void = () => undefined;
    const wait = new Promise<void>((resolve) => (open = resolve));
    const running = wrap(stepper('a', log, { wait }), stepper('b', log)).execute(async () => {
      log.push('call');
      return 'done';
    });
    await Promise.resolve();
    assert.deepEqual(log, ['a>']);
    open();
    assert.equal(await running, 'done');
    assert.deepEqual(log, ['a>', 'b>', 'call', '<b:ok', '<a:ok']);
  });
});
