/**
 * When Redis cannot decide: nothing listening, a private Redis stopped and
 * started again, and a Redis that hangs (DEBUG SLEEP). Decisions never hang,
 * the configured fallback (local / reject / allow) decides, and the switch is
 * logged once each way and shown by `flotilla_rate_limit_store_fallback`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { captureLogs, eventually, freePort, tempDir, uniquePrefix } from '@flotilla/testing';
import { createLogger } from '@flotilla/telemetry';
import { MetricsRegistry } from '@flotilla/telemetry';
import { createRateLimiter, type RateLimitDecision } from '../../../src/rate-limit/index.ts';
import { startRedis } from '../../../../../scripts/test-services/index.ts';
import { redisBinary } from './redis-binary.ts';

type Fallback = 'local' | 'reject' | 'allow';

function limiterOn(url: string, onStoreFailure: Fallback, extra: { recheckMs?: number; timeoutMs?: number } = {}) {
  const logs = captureLogs();
  const metrics = new MetricsRegistry();
  const limiter = createRateLimiter({
    settings: {
      policies: { small: { limit: 3, windowSeconds: 3600 } },
      defaultPolicy: 'small',
      store: {
        kind: 'redis',
        url,
        prefix: uniquePrefix(),
        onStoreFailure,
        timeoutMs: extra.timeoutMs ?? 200,
        recheckMs: extra.recheckMs ?? 5_000,
      },
    },
    metrics,
    logger: createLogger({ service: 'test', destination: logs.stream }),
  });
  return { limiter, logs, metrics };
}

describe('nothing listens at the Redis address', () => {
  test('reject: a prompt 429-style refusal with Retry-After, logged once, gauge set', async (t) => {
    const { limiter, metrics, logs } = limiterOn(`redis://127.0.0.1:${await freePort()}`, 'reject', {
      recheckMs: 2_000,
    });
    t.after(() => limiter.close());
    const decisions: RateLimitDecision[] = [];
    for (let i = 0; i < 10; i++) decisions.push(await limiter.check('orders', 'ip:1'));
    for (const decision of decisions) {
      assert.equal(decision.allowed, false);
      assert.equal(decision.store, 'unavailable');
      assert.equal(decision.headers['retry-after'], '2');
    }
    const unavailable = logs.withAction('rate-limit-store-unavailable');
    assert.equal(unavailable.length, 1, 'one line per transition, not per request');
    assert.match(String(unavailable[0]?.message), /rejecting limited requests/);
    const text = await metrics.metrics();
    assert.match(text, /flotilla_rate_limit_store_fallback 1/);
    assert.match(text, /flotilla_rate_limit_store_errors_total [1-9]/);
    assert.match(text, /flotilla_rate_limit_decisions_total\{route="orders",decision="limited"\} 10/);
    assert.equal(limiter.status().store.fallingBack, true);
  });

  test('allow: requests pass without limits', async (t) => {
    const { limiter } = limiterOn(`redis://127.0.0.1:${await freePort()}`, 'allow');
    t.after(() => limiter.close());
    for (let i = 0; i < 5; i++) {
      const decision = await limiter.check('orders', 'ip:1');
      assert.equal(decision.allowed, true);
      assert.equal(decision.store, 'unavailable');
    }
  });

  test('local: in-process buckets enforce the policy', async (t) => {
    const { limiter } = limiterOn(`redis://127.0.0.1:${await freePort()}`, 'local');
    t.after(() => limiter.close());
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.check('orders', 'ip:1'));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, false, false],
    );
    assert.deepEqual([...new Set(decisions.map((d) => d.store))], ['fallback']);
    assert.equal(decisions[4]?.headers.ratelimit, '"small";r=0;t=3600');
  });
});

const binary = redisBinary();

test('Redis stopped under a running limiter: local fallback, then shared limits again once it is back', {
  skip: 'skip' in binary ? binary.skip : false,
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir('rl-outage');
  let redis = await startRedis({ dir: dir.path, log: () => undefined });
  const { port } = redis;
  const { limiter, metrics, logs } = limiterOn(redis.url, 'local', { recheckMs: 50 });
  t.after(async () => {
    await limiter.close();
    await redis.stop();
    dir.remove();
  });

  assert.equal((await limiter.check('orders', 'ip:1')).store, 'redis');
  await redis.stop();
  await eventually(async () => (await limiter.check('orders', 'ip:1')).store === 'fallback', {
    message: 'decisions by the local fallback',
  });
  const local = [];
  for (let i = 0; i < 4; i++) local.push(await limiter.check('orders', 'ip:1'));
  assert.deepEqual(
    local.map((d) => d.store),
    ['fallback', 'fallback', 'fallback', 'fallback'],
  );
  assert.deepEqual(
    local.map((d) => d.allowed),
    [true, true, false, false],
    'the policy still holds, in process (one token went to the first fallback decision)',
  );
  assert.match(await metrics.metrics(), /flotilla_rate_limit_store_fallback 1/);

  redis = await startRedis({ dir: dir.path, port, log: () => undefined });
  await eventually(async () => (await limiter.check('orders', 'ip:1')).store === 'redis', {
    timeoutMs: 20_000,
    message: 'decisions by Redis again',
  });
  assert.match(await metrics.metrics(), /flotilla_rate_limit_store_fallback 0/);
  assert.equal(logs.withAction('rate-limit-store-unavailable').length, 1);
  assert.equal(logs.withAction('rate-limit-store-recovered').length, 1);
  assert.match(String(logs.withAction('rate-limit-store-unavailable')[0]?.message), /deciding with in-process limits/);
  assert.equal(limiter.status().store.fallingBack, false);
});

test('a Redis that stops answering (DEBUG SLEEP) cannot hold a decision: the timeout hands it to the fallback', {
  skip: 'skip' in binary ? binary.skip : false,
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir('rl-hang');
  const redis = await startRedis({ dir: dir.path, args: ['--enable-debug-command', 'yes'], log: () => undefined });
  const { limiter } = limiterOn(redis.url, 'reject', { timeoutMs: 100, recheckMs: 50 });
  const admin = new Redis(redis.url);
  t.after(async () => {
    await limiter.close();
    admin.disconnect();
    await redis.stop();
    dir.remove();
  });
  assert.equal((await limiter.check('orders', 'ip:1')).store, 'redis');

  let asleep = true;
  const sleeping = admin.call('DEBUG', 'SLEEP', '2').finally(() => (asleep = false));
  const refused = await eventually(
    async () => {
      const decision = await limiter.check('orders', 'ip:1');
      return decision.store === 'unavailable' ? decision : undefined;
    },
    { message: 'a decision made without Redis' },
  );
  assert.equal(asleep, true, 'the decision came while Redis was still asleep');
  assert.equal(refused.allowed, false);
  await sleeping;
  await eventually(async () => (await limiter.check('orders', 'ip:1')).store === 'redis', { message: 'Redis deciding again' });
});
