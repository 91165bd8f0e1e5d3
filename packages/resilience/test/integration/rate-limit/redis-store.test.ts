/**
 * The Redis store against the harness's real Redis: limiters on separate
 * connections, and then in separate processes, enforce one limit together;
 * buckets expire; decisions carry the same headers as local ones.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { eventually, sharedRedis, uniquePrefix } from '@flotilla/testing';
import { createRateLimiter, type RateLimitDecision } from '../../../src/rate-limit/index.ts';

const redis = sharedRedis();
const skip = 'skip' in redis ? redis.skip : false;
const url = 'url' in redis ? redis.url : '';

function sharedLimiter(prefix: string, limit: number) {
  return createRateLimiter({
    settings: {
      policies: { shared: { limit, windowSeconds: 3600 } },
      defaultPolicy: 'shared',
      store: { kind: 'redis', url, prefix, timeoutMs: 2_000, onStoreFailure: 'reject' },
    },
  });
}

test('two limiters on separate connections enforce one limit together (within 5 %)', {
  skip,
  timeout: 30_000,
}, async (t) => {
  const prefix = uniquePrefix();
  const a = sharedLimiter(prefix, 100);
  const b = sharedLimiter(prefix, 100);
  t.after(() => Promise.all([a.close(), b.close()]));

  // 300 decisions for one client, interleaved between both limiters, 16 in flight at a time.
  const decisions: RateLimitDecision[] = [];
  for (let round = 0; round < 300 / 16 + 1 && decisions.length < 300; round++) {
    const batch = Array.from({ length: Math.min(16, 300 - decisions.length) }, (_, i) =>
      (i % 2 === 0 ? a : b).check('orders', 'ip:198.51.100.1'),
    );
    decisions.push(...(await Promise.all(batch)));
  }
  const allowed = decisions.filter((d) => d.allowed).length;
  assert.ok(Math.abs(allowed - 100) <= 5, `allowed ${allowed}, limit 100`);
  assert.deepEqual([...new Set(decisions.map((d) => d.store))], ['redis'], 'every decision came from Redis');
  const refused = decisions.find((d) => !d.allowed);
  assert.equal(refused?.headers['ratelimit-policy'], '"shared";q=100;w=3600');
  assert.equal(refused?.headers['retry-after'], '36');
});

test('two processes share one limit through Redis (within 5 %)', { skip, timeout: 60_000 }, async () => {
  const prefix = uniquePrefix();
  const fixture = join(import.meta.dirname, 'fixtures', 'rate-limit-worker.ts');
  const workers = [0, 1].map(() => {
    const child = spawn(process.execPath, ['--conditions=@flotilla/source', fixture], {
      env: { ...process.env, RL_REDIS_URL: url, RL_PREFIX: prefix, RL_CHECKS: '150', RL_LIMIT: '100' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    // 'close', not 'exit': by then all of stdout has been read.
    const exited = once(child, 'close');
    return { child, exited, out: () => out, err: () => err };
  });
  try {
    for (const worker of workers)
      await eventually(() => worker.out().includes('ready') || worker.child.exitCode !== null, {
        timeoutMs: 30_000,
        message: 'worker ready',
      });
    for (const worker of workers) assert.ok(worker.out().includes('ready'), worker.err());
    for (const worker of workers) worker.child.stdin.write('go\n');
    await Promise.all(workers.map((w) => w.exited));
    const results = workers.map((w) => /allowed (\d+) stores (\S+)/.exec(w.out()));
    for (const [i, result] of results.entries()) assert.ok(result, `worker ${i}: ${workers[i]?.out()} ${workers[i]?.err()}`);
    const allowed = results.reduce((sum, r) => sum + Number(r?.[1]), 0);
    assert.ok(Math.abs(allowed - 100) <= 5, `allowed ${allowed} across both processes, limit 100`);
    assert.deepEqual(
      results.map((r) => r?.[2]),
      ['redis', 'redis'],
    );
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  }
});

test('bucket keys live under the prefix and expire once they would be full again', {
  skip,
  timeout: 30_000,
}, async (t) => {
  const prefix = uniquePrefix();
  const limiter = createRateLimiter({
    settings: {
      policies: { burst: { limit: 10, windowSeconds: 60, keyBy: 'apiKey' } },
      routes: { search: 'burst' },
      store: { kind: 'redis', url, prefix },
    },
  });
  const client = new Redis(url);
  t.after(async () => {
    await limiter.close();
    await client.quit();
  });
  const decision = await limiter.check('search', 'key:k-1');
  assert.equal(decision.store, 'redis');
  assert.deepEqual(decision.headers, { 'ratelimit-policy': '"burst";q=10;w=60', ratelimit: '"burst";r=9;t=6' });
  const keys = await client.keys(`${prefix}*`);
  assert.deepEqual(keys, [`${prefix}burst:search:key:k-1`]);
  const ttl = await client.pttl(keys[0] as string);
  assert.ok(ttl > 0 && ttl <= 61_000, `TTL ${ttl} ms: the time to refill from empty, plus a second`);
});
