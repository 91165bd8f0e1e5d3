/**
 * Two gateway processes with `rateLimit.store.kind: redis` on one Redis (the
 * harness's, FLOTILLA_TEST_REDIS_URL) enforce one limit together: traffic for
 * one client spread over both is admitted up to the limit in total, within
 * 5 %. Skipped without Redis; fails instead with FLOTILLA_TEST_REQUIRE_SERVICES=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sharedRedis, uniquePrefix } from '@flotilla/testing';
import { startChildGateway, type ChildGateway } from '../support/child-gateway.ts';
import { echo, send, startUpstream, type Answer, type Upstream } from '../support/http.ts';
import { adminJson, authYaml } from '../support/policies.ts';

const redis = sharedRedis();
const skip = 'skip' in redis ? redis.skip : false;
const LIMIT = 200;

describe('two gateway processes sharing one Redis rate limit', { skip }, () => {
  let upstream: Upstream;
  let gateways: ChildGateway[] = [];

  before(async () => {
    upstream = await startUpstream(echo);
    const prefix = uniquePrefix();
    const yaml = `proxy: { accessLog: false }
shedding: { enabled: false }
upstreams:
  orders: { instances: ['${upstream.url}'] }
${authYaml()}rateLimit:
  policies:
    shared: { limit: ${LIMIT}, windowSeconds: 3600 }
  defaultPolicy: shared
  store: { kind: redis, url: '${'url' in redis ? redis.url : ''}', prefix: '${prefix}', timeoutMs: 2000, onStoreFailure: reject }
routes:
  - { name: orders, path: /api/orders/**, upstream: orders, stripPrefix: /api }
`;
    const started = await Promise.allSettled([startChildGateway(yaml), startChildGateway(yaml)]);
    gateways = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await upstream?.close();
  });

  test(`${LIMIT * 2} requests from one client over both gateways: ${LIMIT} admitted in total (within 5 %)`, async () => {
    const answers: Array<{ gateway: number; answer: Answer }> = [];
    // Interleaved, 8 at a time, so both processes decide while the other does.
    for (let sent = 0; sent < LIMIT * 2; sent += 8) {
      const batch = Array.from({ length: 8 }, (_, i) => (sent + i) % 2).map(async (g) => ({
        gateway: g,
        answer: await send(`${gateways[g]!.url}/api/orders/x`),
      }));
      answers.push(...(await Promise.all(batch)));
    }
    const admitted = answers.filter((a) => a.answer.status === 200);
    const refused = answers.filter((a) => a.answer.status === 429);
    assert.equal(
      admitted.length + refused.length,
      answers.length,
      `only 200 and 429 expected: ${[...new Set(answers.map((a) => a.answer.status))]}`,
    );
    assert.ok(Math.abs(admitted.length - LIMIT) <= LIMIT * 0.05, `admitted ${admitted.length}, limit ${LIMIT}`);
    assert.equal(upstream.seen.length, admitted.length);
    for (const g of [0, 1]) {
      assert.ok(
        admitted.some((a) => a.gateway === g),
        `gateway ${g} admitted some`,
      );
      assert.ok(
        refused.some((a) => a.gateway === g),
        `gateway ${g} refused some`,
      );
    }
    const last = refused.at(-1)!.answer;
    assert.equal(last.headers['ratelimit-policy'], `"shared";q=${LIMIT};w=3600`);
    assert.ok(Number(last.headers['retry-after']) >= 1);

    // Both say the decisions came from Redis (no fallback).
    for (const gateway of gateways) {
      const limits = await adminJson<{ store: Record<string, unknown> }>(gateway.url, '/admin/limits');
      assert.equal(limits.store.kind, 'redis', JSON.stringify(limits.store));
      assert.equal(limits.store.fallingBack, false, JSON.stringify(limits.store));
      assert.equal(limits.store.lastError, undefined, JSON.stringify(limits.store));
    }
  });
});
