import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '@flotilla/testing';

describe('eventually', () => {
  test('resolves with the first truthy value, after falsy ones and thrown errors', async () => {
    const answers: Array<() => unknown> = [
      () => undefined,
      () => false,
      () => {
        throw new Error('not there yet');
      },
      () => 0,
      () => ({ found: true }),
    ];
    let calls = 0;
    const value = await eventually(() => answers[calls++]!(), { intervalMs: 1 });
    assert.deepEqual(value, { found: true });
    assert.equal(calls, 5);
  });

  test('gives up with the message and the last value', async () => {
    await assert.rejects(
      eventually(() => 'pending'.length === 0, { timeoutMs: 30, intervalMs: 1, message: 'the queue to drain' }),
      /timed out after 30 ms waiting for the queue to drain \(last value: false\)/,
    );
  });

  test('gives up with the message and the last error, kept as the cause', async () => {
    const last = new Error('404 Not Found');
    const failure = await eventually(
      () => {
        throw last;
      },
      { timeoutMs: 30, intervalMs: 1, message: 'the object' },
    ).catch((error: unknown) => error as Error);
    assert.match(failure.message, /waiting for the object \(last error: 404 Not Found\)/);
    assert.equal(failure.cause, last);
  });
});
