/**
 * Rate limiting with the in-process store: token-bucket decisions and their
 * IETF headers, client keys, settings validation and live updates, bounded
 * memory and metrics. (The Fastify hook answering 429: integration/http/rate-limit.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { captureLogs, eventually } from '@flotilla/testing';
import { ConfigError } from '@flotilla/config';
import { createLogger } from '@flotilla/telemetry';
import { MetricsRegistry } from '@flotilla/telemetry';
import { createRateLimiter, parseRateLimitSettings, rateLimitedError, rateLimitKey } from '../../../src/rate-limit/index.ts';

const tight = { policies: { tight: { limit: 3, windowSeconds: 60 } }, defaultPolicy: 'tight' };

describe('token bucket decisions', () => {
  test('limit requests pass, the next is refused; headers follow the draft format', async (t) => {
    const limiter = createRateLimiter({ settings: tight });
    t.after(() => limiter.close());
    const first = await limiter.check('orders', 'ip:1');
    assert.equal(first.allowed, true);
    assert.equal(first.store, 'local');
    assert.deepEqual(first.headers, { 'ratelimit-policy': '"tight";q=3;w=60', ratelimit: '"tight";r=2;t=20' });
    await limiter.check('orders', 'ip:1');
    const third = await limiter.check('orders', 'ip:1');
    assert.equal(third.headers.ratelimit, '"tight";r=0;t=60');
    const refused = await limiter.check('orders', 'ip:1');
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 20, 'one token comes back every 20 s');
    assert.deepEqual(refused.headers, {
      'ratelimit-policy': '"tight";q=3;w=60',
      ratelimit: '"tight";r=0;t=60',
      'retry-after': '20',
    });

    assert.equal((await limiter.check('orders', 'ip:2')).allowed, true, 'another client has its own bucket');
    assert.equal((await limiter.check('users', 'ip:1')).allowed, true, 'another route has its own bucket');
  });

  test('burst sets the capacity; q and w describe the bucket', async (t) => {
    const limiter = createRateLimiter({
      settings: { policies: { api: { limit: 60, windowSeconds: 60, burst: 5 } }, routes: { search: 'api' } },
    });
    t.after(() => limiter.close());
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.check('search', 'k'));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, true, true, false],
    );
    assert.equal(decisions[0]?.headers['ratelimit-policy'], '"api";q=5;w=5');
    assert.equal(decisions[5]?.retryAfterSeconds, 1);
  });

  test('tokens come back over time', async (t) => {
    const limiter = createRateLimiter({
      settings: { policies: { fast: { limit: 20, windowSeconds: 1 } }, defaultPolicy: 'fast' },
    });
    t.after(() => limiter.close());
    for (let i = 0; i < 20; i++) assert.equal((await limiter.check('r', 'k')).allowed, true);
    assert.equal((await limiter.check('r', 'k')).allowed, false);
    await eventually(async () => (await limiter.check('r', 'k')).allowed, { message: 'a refilled token' });
  });

  test('a route with no policy, or a disabled limiter, is not limited and gets no headers', async (t) => {
    const limiter = createRateLimiter({ settings: { policies: tight.policies } });
    t.after(() => limiter.close());
    const decision = await limiter.check('anything', 'k');
    assert.deepEqual(
      { allowed: decision.allowed, policy: decision.policy, headers: decision.headers },
      { allowed: true, policy: undefined, headers: {} },
    );
    await limiter.update({ ...tight, enabled: false });
    for (let i = 0; i < 5; i++) assert.equal((await limiter.check('orders', 'k')).allowed, true);
  });

  test('a route naming an unknown policy runs unlimited and is reported once', async (t) => {
    const logs = captureLogs();
    const limiter = createRateLimiter({
      settings: tight,
      logger: createLogger({ service: 'test', destination: logs.stream }),
    });
    t.after(() => limiter.close());
    for (let i = 0; i < 5; i++) assert.equal((await limiter.check('orders', 'k', 'tigth')).allowed, true);
    const warnings = logs.withAction('rate-limit-policy-unknown');
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]?.message), /"tigth", which is not defined/);
  });

  test('memory is bounded: past maxLocalBuckets the least recently used bucket is forgotten', async (t) => {
    const limiter = createRateLimiter({
      settings: {
        policies: { one: { limit: 1, windowSeconds: 3600 } },
        defaultPolicy: 'one',
        store: { maxLocalBuckets: 2 },
      },
    });
    t.after(() => limiter.close());
    assert.equal((await limiter.check('r', 'a')).allowed, true);
    assert.equal((await limiter.check('r', 'a')).allowed, false);
    await limiter.check('r', 'b');
    await limiter.check('r', 'c'); // a is now the oldest of three: dropped
    assert.equal((await limiter.check('r', 'a')).allowed, true);
  });

  test('decisions are counted per route and outcome', async (t) => {
    const metrics = new MetricsRegistry();
    const limiter = createRateLimiter({ settings: tight, metrics });
    t.after(() => limiter.close());
    for (let i = 0; i < 5; i++) await limiter.check('orders', 'k');
    const text = await metrics.metrics();
    assert.match(text, /flotilla_rate_limit_decisions_total\{route="orders",decision="allowed"\} 3/);
    assert.match(text, /flotilla_rate_limit_decisions_total\{route="orders",decision="limited"\} 2/);
    assert.match(text, /flotilla_rate_limit_store_fallback 0/);
  });

  test('the 429 error carries the policy and retry delay', async (t) => {
    const limiter = createRateLimiter({ settings: { policies: { one: { limit: 1 } }, defaultPolicy: 'one' } });
    t.after(() => limiter.close());
    await limiter.check('r', 'k');
    const error = rateLimitedError(await limiter.check('r', 'k'));
    assert.equal(error.code, 'rate-limited');
    assert.deepEqual(error.details, { policy: 'one', retryAfter: 60 });
  });
});

describe('settings', () => {
  test('defaults are applied', () => {
    const settings = parseRateLimitSettings({ policies: { p: { limit: 5 } } });
    assert.deepEqual(settings.policies.p, { limit: 5, windowSeconds: 60, keyBy: 'ip' });
    assert.equal(settings.store.kind, 'local');
    assert.equal(settings.store.onStoreFailure, 'local');
    assert.equal(settings.enabled, true);
  });

  test('every problem is reported at once with a stable code', () => {
    assert.throws(
      () =>
        parseRateLimitSettings({
          policies: { 'bad name': { limit: 1 }, ok: { limit: 0, keyBy: 'cookie' } },
          routes: { orders: 'missing' },
          defaultPolicy: 'nope',
          store: { kind: 'redis' },
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, 'validation');
        const keys = error.problems.map((p) => p.key).sort();
        assert.deepEqual(keys, ['policies.ok.keyBy', 'policies.ok.limit']);
        return true;
      },
      'schema problems first',
    );
    assert.throws(
      () =>
        parseRateLimitSettings({
          policies: { 'bad name': { limit: 1 } },
          routes: { orders: 'missing' },
          defaultPolicy: 'nope',
          store: { kind: 'redis' },
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems.map((p) => p.key).sort(), ['defaultPolicy', 'policies.bad name', 'routes.orders', 'store.url']);
        return true;
      },
    );
  });

  test('update() applies new limits at once; invalid settings change nothing', async (t) => {
    const limiter = createRateLimiter({ settings: tight });
    t.after(() => limiter.close());
    await assert.rejects(limiter.update({ policies: { tight: { limit: -1 } } }), ConfigError);
    assert.equal((await limiter.check('r', 'k')).headers['ratelimit-policy'], '"tight";q=3;w=60', 'the old settings still hold');
    await limiter.update({ policies: { tight: { limit: 10, windowSeconds: 10 } }, defaultPolicy: 'tight' });
    const decision = await limiter.check('r', 'k');
    assert.equal(decision.headers['ratelimit-policy'], '"tight";q=10;w=10');
    assert.equal(decision.remaining, 1, 'the bucket keeps its tokens (2 left, 1 taken) and refills at the new rate');
    assert.equal(limiter.status().policies.tight?.limit, 10);
  });
});

describe('client keys', () => {
  const request = { ip: '10.0.0.7', headers: { 'x-api-key': 'sk_live_secret' } };
  test('by IP, API key (hashed) or subject, falling back to the IP', () => {
    assert.equal(rateLimitKey('ip', request), 'ip:10.0.0.7');
    const byKey = rateLimitKey('apiKey', request);
    assert.match(byKey, /^key:[A-Za-z0-9_-]{22}$/);
    assert.ok(!byKey.includes('secret'), 'the API key itself never becomes a bucket key');
    assert.equal(rateLimitKey('apiKey', request), byKey, 'stable');
    assert.equal(rateLimitKey('apiKey', request, { apiKeyId: 'k-42' }), 'key:k-42');
    assert.equal(
      rateLimitKey('apiKey', { ip: '1.2.3.4', headers: { authorization: 'x' } }, undefined, {
        apiKeyHeader: 'authorization',
      }).startsWith('key:'),
      true,
    );
    assert.equal(rateLimitKey('subject', request, { subject: 'user-1' }), 'sub:user-1');
    assert.equal(rateLimitKey('subject', request), 'ip:10.0.0.7', 'anonymous: by IP');
    assert.equal(rateLimitKey('apiKey', { ip: '10.0.0.8', headers: {} }), 'ip:10.0.0.8');
  });
});
