/** gRPC clients resolved through the registry: per-call balancing, ejection of a dead instance, no instance. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { GreeterServiceClient } from '@flotilla/contracts/greeter';
import { eventually, tempDir } from '@flotilla/testing';
import { ChannelPool, createGrpcClient } from '@flotilla/grpc';
import { discoveryResolver } from '../../src/grpc-resolver.ts';
import { LocalRegistry } from '../../src/local/local-registry.ts';
import { NoInstanceError } from '../../src/balancer/index.ts';
import { UnavailableError } from '@flotilla/core';
import { startGreeter } from '@flotilla/testing';

const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

describe('discoveryResolver', () => {
  test('spreads calls over registered instances and stops using one that died', async (t) => {
    const dir = tempDir('grpc-resolver');
    dirs.push(dir);
    const greeters = await Promise.all([startGreeter(), startGreeter()]);
    const registries = greeters.map(() => new LocalRegistry({ dir: dir.path, namespace: 'test' }));
    await Promise.all(
      registries.map((r, i) =>
        r.register({
          service: 'greeter',
          id: `greeter-${i}`,
          address: '127.0.0.1',
          ports: { grpc: greeters[i]!.port, http: 1 },
        }),
      ),
    );
    const clientRegistry = new LocalRegistry({ dir: dir.path, namespace: 'test' });
    const resolve = discoveryResolver(clientRegistry, {
      strategy: 'round-robin',
      ejection: { consecutiveFailures: 2, baseEjectionMs: 60_000 },
    });
    const pool = new ChannelPool();
    t.after(async () => {
      resolve.close();
      pool.closeAll();
      await Promise.all([...registries, clientRegistry].map((r) => r.close()));
      await Promise.all(greeters.map((g) => g.grpc.shutdown(100)));
    });

    const greeter = createGrpcClient(GreeterServiceClient, 'greeter', { resolve, pool, defaultTimeoutMs: 2000 });
    assert.equal(greeter.target, 'discovery:///greeter');
    for (let i = 0; i < 10; i++) assert.deepEqual(await greeter.sayHello({ name: `n${i}` }), { message: `Hello, n${i}!` });
    assert.deepEqual(
      greeters.map((g) => g.probe.calls.length),
      [5, 5],
    );
    // Domain errors are answers, not instance failures: nothing gets ejected.
    for (let i = 0; i < 4; i++) await assert.rejects(greeter.sayHello({ name: 'missing' }), { code: 'not-found' });
    assert.ok(
      resolve.balancers
        .entry('greeter')
        .balancer.stats()
        .every((s) => !s.ejected),
    );

    // One instance dies but stays registered: its calls fail until it is ejected, then none do.
    await greeters[1]!.grpc.shutdown(0);
    let failures = 0;
    let streak = 0;
    const notUnavailable: string[] = [];
    await eventually(
      async () => {
        try {
          await greeter.sayHello({ name: 'x' });
          streak += 1;
        } catch (error) {
          if (!(error instanceof UnavailableError)) notUnavailable.push(String(error));
          failures += 1;
          streak = 0;
        }
        return streak >= 20;
      },
      { message: '20 calls in a row to succeed' },
    );
    assert.deepEqual(notUnavailable, [], 'every failed call is an UnavailableError');
    t.diagnostic(`${failures} calls failed before the dead instance was ejected`);
    assert.ok(failures >= 1 && failures <= 2, `failures: ${failures}`);
    assert.deepEqual(
      resolve.balancers
        .entry('greeter')
        .balancer.stats()
        .map((s) => [s.id, s.ejected]),
      [
        ['greeter-0', false],
        ['greeter-1', true],
      ],
    );
  });

  test('a service with no instance fails the call with NoInstanceError (an UnavailableError)', async (t) => {
    const dir = tempDir('grpc-resolver-empty');
    dirs.push(dir);
    const registry = new LocalRegistry({ dir: dir.path, namespace: 'test' });
    const resolve = discoveryResolver(registry, { waitForInstancesMs: 500 });
    t.after(async () => {
      resolve.close();
      await registry.close();
    });
    const greeter = createGrpcClient(GreeterServiceClient, 'greeter', { resolve });
    await assert.rejects(
      greeter.sayHello({ name: 'x' }),
      (error: unknown) => error instanceof NoInstanceError && error.code === 'unavailable' && error.service === 'greeter',
    );
  });
});
