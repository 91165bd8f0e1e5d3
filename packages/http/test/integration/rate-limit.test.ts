/** The rate-limit Fastify hook over a real socket: 429 problem+json with Retry-After and RateLimit headers. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { captureLogs } from '@flotilla/testing';
import { registerHealthRoutes } from '../../src/health.ts';
import { registerRateLimit } from '../../src/rate-limit.ts';
import { createHttpServer } from '../../src/server.ts';
import { createLogger } from '@flotilla/telemetry';
import { createRateLimiter } from '@flotilla/resilience';

describe('the Fastify hook', () => {
  test('429 problem+json with Retry-After and RateLimit headers; per-route policies and opt-outs; health never limited', async (t) => {
    const limiter = createRateLimiter({
      settings: { policies: { tight: { limit: 2 }, perUser: { limit: 1, keyBy: 'subject' } }, defaultPolicy: 'tight' },
    });
    const app = createHttpServer({ logger: createLogger({ service: 'test', destination: captureLogs().stream }) });
    registerHealthRoutes(app as never, { isReady: () => true, checks: () => ({}) });
    registerRateLimit(app as never, {
      limiter,
      identity: (request) => (typeof request.headers['x-user'] === 'string' ? { subject: request.headers['x-user'] } : undefined),
    });
    app.get('/things', async () => ({ ok: true }));
    app.get('/mine', { config: { rateLimit: 'perUser' } }, async () => ({ ok: true }));
    app.get('/free', { config: { rateLimit: false } }, async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    t.after(async () => {
      await app.close();
      await limiter.close();
    });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    const ok = await fetch(`${base}/things`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('ratelimit-policy'), '"tight";q=2;w=60');
    assert.equal(ok.headers.get('ratelimit'), '"tight";r=1;t=30');
    await fetch(`${base}/things`);
    const refused = await fetch(`${base}/things`);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.equal(refused.headers.get('ratelimit'), '"tight";r=0;t=60');
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await refused.json()) as Record<string, unknown>;
    assert.equal(problem.type, 'https://flotilla.dev/problems/rate-limited');
    assert.equal(problem.status, 429);
    assert.equal(problem.policy, 'tight');
    assert.equal(problem.retryAfter, 30);

    assert.equal((await fetch(`${base}/mine`, { headers: { 'x-user': 'ann' } })).status, 200);
    assert.equal((await fetch(`${base}/mine`, { headers: { 'x-user': 'ann' } })).status, 429);
    assert.equal((await fetch(`${base}/mine`, { headers: { 'x-user': 'bob' } })).status, 200, 'per subject');
    for (let i = 0; i < 4; i++) {
      const free = await fetch(`${base}/free`);
      assert.equal(free.status, 200);
      assert.equal(free.headers.get('ratelimit'), null);
    }
    for (let i = 0; i < 4; i++) assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });
});
