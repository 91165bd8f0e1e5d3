import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlotillaError, UnavailableError } from '@flotilla/kit';
import { ConfigError } from '@flotilla/config';
import { MetricsRegistry } from '@flotilla/telemetry';
import {
  DEFAULT_UPSTREAM_POLICY,
  resolveUpstreamPolicy,
  UpstreamGuards,
  type BreakerStateChange,
  type ResilienceSettings,
} from '@flotilla/resilience';
import { parseExposition, select } from '@flotilla/testing';
import { FakeClock } from '../support.ts';

const down = async (): Promise<never> => {
  throw new UnavailableError('down');
};

async function failMany(guards: UpstreamGuards, upstream: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await guards.execute(upstream, down).catch(() => undefined);
}

describe('ResilienceSettings', () => {
  test('built-in defaults < resilience.defaults < resilience.upstreams.<name>, section by section', () => {
    const settings: ResilienceSettings = {
      defaults: { timeoutMs: 2_000, retry: { maxAttempts: 2, budget: { ratio: 0.1 } } },
      upstreams: {
        users: { retry: { baseDelayMs: 10 }, breaker: { k: 1.5 }, fault: { abort: { grpcCode: 14, percent: 5 } } },
      },
    };
    const users = resolveUpstreamPolicy(settings, 'users');
    assert.equal(users.timeoutMs, 2_000);
    assert.deepEqual(users.retry, {
      ...DEFAULT_UPSTREAM_POLICY.retry,
      maxAttempts: 2,
      baseDelayMs: 10,
      budget: { ...DEFAULT_UPSTREAM_POLICY.retry.budget, ratio: 0.1 },
    });
    assert.equal(users.breaker.k, 1.5);
    assert.equal(users.breaker.minRequests, DEFAULT_UPSTREAM_POLICY.breaker.minRequests);
    assert.deepEqual(users.fault, { abort: { grpcCode: 14, percent: 5 } });
    assert.deepEqual(resolveUpstreamPolicy(settings, 'other').fault, {});
  });

  test('invalid settings are refused with every problem listed, and change nothing', () => {
    const guards = new UpstreamGuards({ upstreams: { users: { timeoutMs: 1_000 } } }, { namespace: 'dev' });
    assert.throws(
      () =>
        guards.update({
          upstreams: { users: { timeoutMs: -1, breaker: { k: 0.5 }, fault: { abort: { status: 200, percent: 10 } } } },
        } as ResilienceSettings),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const keys = error.problems.map((p) => p.key);
        assert.ok(keys.includes('upstreams.users.timeoutMs'), keys.join());
        assert.ok(keys.includes('upstreams.users.breaker.k'), keys.join());
        assert.ok(
          keys.some((k) => k.startsWith('upstreams.users.fault.abort')),
          keys.join(),
        );
        return true;
      },
    );
    assert.equal(guards.get('users').policy.timeoutMs, 1_000);
    assert.throws(
      () => guards.update({ upstreams: { 'no spaces': {} } }),
      (error: unknown) => error instanceof ConfigError && error.problems[0]?.key === 'upstreams.no spaces',
    );
  });

  test('fault injection configured in prod is refused unless allowInProd', () => {
    const withFaults: ResilienceSettings = { upstreams: { users: { fault: { delay: { ms: 100, percent: 10 } } } } };
    assert.throws(
      () => new UpstreamGuards(withFaults, { namespace: 'prod' }),
      (error: unknown) => {
        assert.ok(error instanceof FlotillaError);
        assert.equal(error.code, 'validation');
        assert.match(error.message, /refused in the prod namespace \(resilience\.upstreams\.users\.fault\).*allowInProd/);
        return true;
      },
    );
    assert.throws(() => new UpstreamGuards({ faults: { headerEnabled: true } }, { namespace: 'prod' }), /faults\.headerEnabled/);
    const allowed = new UpstreamGuards({ ...withFaults, faults: { allowInProd: true } }, { namespace: 'prod' });
    assert.equal(allowed.faultPermission.rules, true);
    const plain = new UpstreamGuards({}, { namespace: 'prod' });
    assert.equal(plain.faultFromHeaders({ 'x-flotilla-fault': 'abort=503' }), undefined, 'the header is ignored in prod');
  });
});

describe('UpstreamGuards', () => {
  test('every upstream gets the default stack on first use', async () => {
    const guards = new UpstreamGuards({}, { namespace: 'dev' });
    assert.equal(await guards.execute('anything', async ({ deadline }) => Math.round(deadline.remaining() / 1_000)), 5);
    assert.deepEqual(Object.keys(guards.snapshot().upstreams), ['anything']);
  });

  test('hot reload keeps the breaker state of upstreams that remain and drops those removed', async () => {
    const clock = new FakeClock();
    const changes: BreakerStateChange[] = [];
    const metrics = new MetricsRegistry();
    const settings: ResilienceSettings = {
      upstreams: {
        users: { breaker: { minRequests: 5 }, retry: { enabled: false } },
        orders: { breaker: { minRequests: 5 }, retry: { enabled: false } },
      },
    };
    const guards = new UpstreamGuards(settings, { namespace: 'dev', clock, random: () => 0.999, metrics });
    guards.onBreakerStateChange((change) => changes.push(change));
    await failMany(guards, 'users', 10);
    await failMany(guards, 'orders', 10);
    assert.deepEqual(
      changes.map((c) => `${c.upstream}:${c.to}`),
      ['users:throttling', 'users:open', 'orders:throttling', 'orders:open'],
    );

    guards.update({ upstreams: { users: { breaker: { minRequests: 5, k: 1.5 }, retry: { enabled: false } } } });
    const snapshot = guards.snapshot();
    assert.equal(snapshot.upstreams.users?.breaker?.state, 'open', 'users kept its window');
    assert.equal(snapshot.upstreams.users?.breaker?.settings.k, 1.5, 'and took the new K');
    assert.equal(snapshot.upstreams.orders, undefined, 'orders left the config');
    const states = select(parseExposition(await metrics.metrics()), 'flotilla_breaker_state');
    assert.deepEqual(
      states.map((s) => s.labels.upstream),
      ['users'],
      'its series went with it',
    );
    // Used again, orders starts afresh from the defaults.
    assert.equal(guards.get('orders').breaker.state, 'closed');
  });

  test('the snapshot shows breakers with reason, bulkhead usage and budgets; disabled policies are null', async () => {
    const guards = new UpstreamGuards(
      { upstreams: { users: { bulkhead: { maxConcurrent: 3, maxQueue: 1 }, retry: { enabled: false } } } },
      { namespace: 'staging' },
    );
    await guards.execute('users', async () => 'ok');
    const { namespace, faults, upstreams } = guards.snapshot();
    assert.equal(namespace, 'staging');
    assert.equal(faults.header, false);
    const users = upstreams.users;
    assert.ok(users !== undefined);
    assert.equal(users.breaker?.state, 'closed');
    assert.match(users.breaker?.reason ?? '', /fewer than the 20 needed/);
    assert.deepEqual(users.bulkhead, { maxConcurrent: 3, maxQueue: 1, inFlight: 0, queued: 0, rejections: 0 });
    assert.equal(users.retry, null);
    assert.deepEqual(users.fault, {});
  });

  test('the stack order: retries happen inside the breaker, which sees one call', async () => {
    const guards = new UpstreamGuards(
      { upstreams: { users: { retry: { baseDelayMs: 0, budget: { minRetriesPerSecond: 100 } } } } },
      { namespace: 'dev' },
    );
    let hits = 0;
    await assert.rejects(
      guards.execute(
        'users',
        async () => {
          hits++;
          throw new UnavailableError('down');
        },
        { idempotent: true },
      ),
    );
    assert.equal(hits, 3);
    const breaker = guards.snapshot().upstreams.users?.breaker;
    assert.equal(breaker?.requests, 1);
    assert.equal(guards.snapshot().upstreams.users?.retry?.budget.retries, 2);
  });

  test('a header fault reaches the call in dev and is counted by the breaker like a real one', async () => {
    const guards = new UpstreamGuards(
      { upstreams: { users: { breaker: { minRequests: 10 }, retry: { enabled: false } } } },
      { namespace: 'dev', random: () => 0.999 },
    );
    const fault = guards.faultFromHeaders({ 'x-flotilla-fault': 'abort=503' });
    for (let i = 0; i < 10; i++)
      await assert.rejects(
        guards.execute('users', async () => 'ok', { fault }),
        /Injected fault/,
      );
    assert.equal(guards.get('users').breaker.state, 'open');
  });
});
