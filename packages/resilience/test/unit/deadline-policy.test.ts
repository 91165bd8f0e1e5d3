import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currentDeadline, DeadlineExceededError, runWithContext } from '@flotilla/kit';
import { Deadline, DeadlinePolicy, incomingRequestContext, wrap } from '@flotilla/resilience';
import { deferred, FakeClock } from './support.ts';

describe('the request context carries the deadline', () => {
  test('incomingRequestContext reads x-request-timeout; currentDeadline returns it inside the request', () => {
    const context = incomingRequestContext('r-1', { 'x-request-timeout': '800' });
    assert.equal(typeof context.deadline, 'number');
    runWithContext(context, () => {
      const deadline = currentDeadline();
      assert.ok(deadline !== undefined);
      assert.equal(deadline.at, context.deadline);
      assert.equal(currentDeadline(), deadline, 'one Deadline per request');
      assert.equal(context.signal, deadline.signal, 'the context signal is the deadline signal');
    });
    assert.equal(currentDeadline(), undefined);
    assert.deepEqual(incomingRequestContext('r-2', {}), { requestId: 'r-2' });
  });
});

describe('DeadlinePolicy', () => {
  test('no time left: fails without calling', async () => {
    const clock = new FakeClock();
    const deadline = Deadline.after(10, clock);
    clock.advance(10);
    let called = false;
    await assert.rejects(
      new DeadlinePolicy({ clock, upstream: 'users' }).execute(
        async () => {
          called = true;
        },
        { deadline },
      ),
      (error: unknown) => error instanceof DeadlineExceededError && error.message.includes('users'),
    );
    assert.equal(called, false);
  });

  test('caps the caller deadline with its timeout and hands both deadline and signal to the call', async () => {
    const clock = new FakeClock();
    const seen = await new DeadlinePolicy({ timeoutMs: 250, clock }).execute(
      async ({ deadline, signal }) => ({ at: deadline.at, aborted: signal.aborted }),
      {
        deadline: Deadline.after(10_000, clock),
      },
    );
    assert.deepEqual(seen, { at: clock.now() + 250, aborted: false });
  });

  test('a call that ignores its signal is abandoned at the deadline: the caller gets deadline-exceeded on time', async () => {
    const never = deferred<string>();
    let signalled: unknown;
    const pending = new DeadlinePolicy({ timeoutMs: 30 }).execute(({ signal }) => {
      signal.addEventListener('abort', () => (signalled = signal.reason), { once: true });
      return never.promise;
    });
    await assert.rejects(pending, DeadlineExceededError);
    assert.ok(signalled instanceof DeadlineExceededError, 'the call was told to stop');
    never.resolve('too late');
  });

  test('inside a request, the request deadline applies without being passed', async () => {
    const context = incomingRequestContext('r-3', { 'x-request-timeout': '5000' });
    const at = await runWithContext(context, () => wrap(new DeadlinePolicy()).execute(async ({ deadline }) => deadline.at));
    assert.equal(at, context.deadline);
  });

  test('the caller cancelling passes its reason through', async () => {
    const controller = new AbortController();
    const pending = new DeadlinePolicy({ timeoutMs: 10_000 }).execute(() => new Promise<void>(() => undefined), {
      signal: controller.signal,
    });
    controller.abort(new Error('client went away'));
    await assert.rejects(pending, /client went away/);
  });
});
