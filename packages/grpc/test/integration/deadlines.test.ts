import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { GreeterServiceClient } from '@flotilla/contracts/greeter';
import { eventually } from '@flotilla/testing';
import { runWithContext } from '@flotilla/core';
import { DeadlineExceededError } from '@flotilla/core';
import { ChannelPool, createGrpcClient, REQUEST_ID_METADATA_KEY } from '../../src/index.ts';
import { startGreeter, type RunningGreeter } from '@flotilla/testing';

describe('deadline and request-id propagation across two hops', () => {
  // client -> front (relays) -> back
  let back: RunningGreeter;
  let front: RunningGreeter;
  const pool = new ChannelPool();
  before(async () => {
    back = await startGreeter();
    front = await startGreeter({ relayTo: () => back.target });
  });
  after(async () => {
    pool.closeAll();
    await Promise.all([front.grpc.shutdown(1000), back.grpc.shutdown(1000)]);
  });

  test('the nested call gets no more than the time the handler had left, and the same request id', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'front', { pool, resolve: () => front.target });
    const metadata = new grpc.Metadata();
    metadata.set(REQUEST_ID_METADATA_KEY, 'req-two-hops');
    const deadline = Date.now() + 5_000;
    const reply = await client.sayHello({ name: 'relay:context' }, { deadline, metadata });

    const observed = front.probe.observations.at(-1) as {
      requestId: string;
      deadline: number;
      remainingAtCall: number;
    };
    const nested = JSON.parse(reply.message) as { requestId: string; deadline: number; now: number };
    assert.equal(observed.requestId, 'req-two-hops');
    assert.equal(nested.requestId, 'req-two-hops');
    assert.equal(typeof observed.deadline, 'number', 'the front handler sees a deadline');
    assert.ok(observed.remainingAtCall <= 5_000);
    // The nested handler asked for 60 s but received at most what the front had left.
    const nestedTimeout = nested.deadline - nested.now;
    assert.ok(nestedTimeout <= observed.remainingAtCall, `nested timeout ${nestedTimeout} ms > remaining ${observed.remainingAtCall} ms`);
  });

  test('without an incoming deadline the nested call keeps its own', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'front', { pool, resolve: () => front.target });
    const reply = await client.sayHello({ name: 'relay:context' });
    const nested = JSON.parse(reply.message) as { deadline: number; now: number };
    const nestedTimeout = nested.deadline - nested.now;
    assert.ok(nestedTimeout > 30_000 && nestedTimeout <= 60_000, `nested timeout ${nestedTimeout} ms`);
  });

  test('an exhausted deadline: the handler is aborted and its nested call fails fast with DEADLINE_EXCEEDED', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'front', { pool, resolve: () => front.target });
    const backCallsBefore = back.probe.calls.length;
    await assert.rejects(client.sayHello({ name: 'relay:after-deadline' }, { timeoutMs: 200 }), DeadlineExceededError);
    const observed = await eventually(
      () => {
        const last = front.probe.observations.at(-1);
        return last?.error === undefined ? undefined : last;
      },
      { message: 'the front handler to give up' },
    );
    assert.equal(observed.abortReason, 'DeadlineExceededError', 'the signal was aborted by the deadline');
    assert.equal(observed.error, 'DeadlineExceededError');
    assert.equal(back.probe.calls.length, backCallsBefore, 'nothing reached the next hop');
  });
});

describe('outbound deadlines from the request context', () => {
  let greeter: RunningGreeter;
  const pool = new ChannelPool();
  before(async () => {
    greeter = await startGreeter();
  });
  after(async () => {
    pool.closeAll();
    await greeter.grpc.shutdown(1000);
  });

  test('no time left: DEADLINE_EXCEEDED without touching the server', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
    const before = greeter.probe.calls.length;
    await runWithContext({ requestId: 'r-late', deadline: Date.now() - 1 }, async () => {
      await assert.rejects(client.sayHello({ name: 'too late' }), DeadlineExceededError);
      // The raw client, too, gets the status from the interceptor.
      const code = await new Promise<number>((resolve) =>
        client.raw.sayHello({ name: 'too late' }, (error) => resolve(error?.code ?? grpc.status.OK)),
      );
      assert.equal(code, grpc.status.DEADLINE_EXCEEDED);
    });
    assert.equal(greeter.probe.calls.length, before);
  });

  test('a signal aborted by the deadline a moment before the clock reaches it still means DEADLINE_EXCEEDED', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
    const before = greeter.probe.calls.length;
    // Timers and Date.now() tick apart: the deadline timer can fire while Date.now() is still short of it.
    const signal = AbortSignal.abort(new DeadlineExceededError('deadline passed'));
    await runWithContext({ requestId: 'r-early-timer', deadline: Date.now() + 60_000, signal }, async () => {
      await assert.rejects(client.sayHello({ name: 'out of time' }), DeadlineExceededError);
    });
    assert.equal(greeter.probe.calls.length, before);
  });

  test('the context deadline caps a longer explicit one, and a shorter explicit one wins', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
    const contextDeadline = Date.now() + 3_000;
    await runWithContext({ requestId: 'r-cap', deadline: contextDeadline }, async () => {
      const remaining = contextDeadline - Date.now();
      const capped = JSON.parse((await client.sayHello({ name: 'context' }, { timeoutMs: 60_000 })).message) as {
        deadline: number;
        now: number;
        requestId: string;
      };
      assert.ok(capped.deadline - capped.now <= remaining, `server got ${capped.deadline - capped.now} ms, the caller had ${remaining} ms`);
      assert.equal(capped.requestId, 'r-cap');
      const shorter = JSON.parse((await client.sayHello({ name: 'context' }, { timeoutMs: 1_000 })).message) as {
        deadline: number;
        now: number;
      };
      assert.ok(shorter.deadline - shorter.now <= 1_000);
    });
  });

  test('the client default timeout applies when nothing else sets a deadline', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', {
      pool,
      resolve: () => greeter.target,
      defaultTimeoutMs: 2_000,
    });
    const reply = JSON.parse((await client.sayHello({ name: 'context' })).message) as {
      deadline: number | null;
      now: number;
    };
    assert.notEqual(reply.deadline, null);
    assert.ok((reply.deadline ?? Infinity) - reply.now <= 2_000);
  });

  test('a cancelled caller cancels its outbound call', async () => {
    const client = createGrpcClient(GreeterServiceClient, 'greeter', { pool, resolve: () => greeter.target });
    const controller = new AbortController();
    controller.abort();
    await runWithContext({ requestId: 'r-gone', signal: controller.signal }, async () => {
      await assert.rejects(client.sayHello({ name: 'nobody listens' }), (error: Error & { code?: string }) => error.code === 'unavailable');
    });
  });
});
