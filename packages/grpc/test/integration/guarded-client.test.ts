// gRPC calls through an upstream's guard: retries only for methods marked
// idempotent, the breaker's circuit-open, and the HTTP request's deadline
// carried into the gRPC call.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GreeterServiceClient } from '@flotilla/contracts/greeter';
import { FlotillaError, UnavailableError } from '@flotilla/kit';
import { ChannelPool, createGuardedGrpcClient } from '@flotilla/grpc';
import { createHttpServer, type HttpApp } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { UpstreamGuards } from '@flotilla/resilience';
import { captureLogs, freePort } from '@flotilla/testing';
import { startGreeter, type RunningGreeter } from '@flotilla/testing';

describe('a gRPC client guarded by UpstreamGuards', () => {
  let greeter: RunningGreeter;
  let deadTarget: string;
  const pool = new ChannelPool();
  before(async () => {
    greeter = await startGreeter();
    deadTarget = `127.0.0.1:${await freePort()}`;
  });
  after(async () => {
    pool.closeAll();
    await greeter.grpc.shutdown(1000);
  });

  test('an idempotent method is retried on UNAVAILABLE, one that is not is tried once', async () => {
    const retried: number[] = [];
    const guards = new UpstreamGuards(
      { upstreams: { dead: { retry: { maxAttempts: 3, baseDelayMs: 1 }, breaker: { enabled: false } } } },
      { namespace: 'dev', onRetry: (e) => retried.push(e.attempt) },
    );
    const marked = createGuardedGrpcClient(GreeterServiceClient, 'dead', {
      resolve: () => deadTarget,
      pool,
      telemetry: null,
      guard: guards.get('dead'),
      idempotent: ['sayHello'],
    });
    await assert.rejects(marked.sayHello({ name: 'anyone' }), UnavailableError);
    assert.deepEqual(retried, [2, 3]);

    retried.length = 0;
    const unmarked = createGuardedGrpcClient(GreeterServiceClient, 'dead', {
      resolve: () => deadTarget,
      pool,
      telemetry: null,
      guard: guards.get('dead'),
    });
    await assert.rejects(unmarked.sayHello({ name: 'anyone' }), UnavailableError);
    assert.deepEqual(retried, []);
  });

  test('the breaker opens on an upstream that keeps failing and then rejects without calling it', async () => {
    const guards = new UpstreamGuards(
      { upstreams: { greeter: { breaker: { minRequests: 5 }, retry: { enabled: false } } } },
      { namespace: 'dev', random: () => 0 },
    );
    const client = createGuardedGrpcClient(GreeterServiceClient, 'greeter', {
      resolve: () => greeter.target,
      pool,
      telemetry: null,
      guard: guards.get('greeter'),
      idempotent: ['sayHello'],
    });
    // "throttled" answers RESOURCE_EXHAUSTED: the upstream refusing work, a failure for the breaker.
    for (let i = 0; i < 5; i++) await assert.rejects(client.sayHello({ name: 'throttled' }));
    const calls = greeter.probe.calls.length;
    await assert.rejects(
      client.sayHello({ name: 'Ada' }),
      (error: unknown) => error instanceof FlotillaError && error.code === 'circuit-open' && error.details?.upstream === 'greeter',
    );
    assert.equal(greeter.probe.calls.length, calls, 'the rejected call never reached the server');
  });

  describe('called from an HTTP request with x-request-timeout', () => {
    let app: HttpApp;
    let base = '';
    before(async () => {
      const guards = new UpstreamGuards({}, { namespace: 'dev' });
      const client = createGuardedGrpcClient(GreeterServiceClient, 'greeter', {
        resolve: () => greeter.target,
        pool,
        telemetry: null,
        guard: guards.get('greeter'),
        idempotent: ['sayHello'],
      });
      app = createHttpServer({ logger: createLogger({ service: 'edge', destination: captureLogs().stream }) });
      app.get('/context', async () => JSON.parse((await client.sayHello({ name: 'context' })).message) as unknown);
      await app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    });
    after(() => app.close());

    test('the gRPC call carries what is left of the request deadline', async () => {
      const response = await fetch(`${base}/context`, { headers: { 'x-request-timeout': '1500' } });
      assert.equal(response.status, 200);
      const seen = (await response.json()) as { deadline: number | null; now: number };
      assert.ok(seen.deadline !== null, 'the gRPC server saw a deadline');
      const left = seen.deadline - seen.now;
      assert.ok(left > 0 && left <= 1_500, `${left} ms left at the gRPC server`);
    });

    test('without the header the guard timeout (5 s by default) caps the call', async () => {
      const seen = (await (await fetch(`${base}/context`)).json()) as { deadline: number | null; now: number };
      assert.ok(seen.deadline !== null);
      const left = seen.deadline - seen.now;
      assert.ok(left > 1_500 && left <= 5_000, `${left} ms left at the gRPC server`);
    });
  });
});
