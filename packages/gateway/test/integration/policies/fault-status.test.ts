/**
 * An injected abort reaches the client through the gateway with exactly the
 * status asked for (not the usual status of its kind), as problem+json whose
 * `type` follows the kind; a gRPC code is translated as abort-mapping.ts
 * documents. A configured abort outside 400-599 is a rejected config with a
 * clear reason, and the previous one stays in force.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@flotilla/testing';
import { startGateway, TEST_ADMIN_YAML, type GatewayUnderTest } from '../support/gateway.ts';
import { echo, send, startUpstream, type Upstream } from '../support/http.ts';
import { adminJson, problemOf, problemType } from '../support/policies.ts';

interface ConfigStatus {
  appliedVersion: number | null;
  rejected: { version: number | null; reason: string } | null;
}

describe('gateway: an injected abort answers exactly its status', () => {
  let upstream: Upstream;
  let gateway: GatewayUnderTest;
  /** No breaker and no retries: each request meets the fault once, and nothing else answers for it. */
  const yaml = (fault = ''): string => `shedding: { enabled: false }
proxy: { accessLog: false }
upstreams:
  orders: { instances: ['${upstream.url}'] }
${TEST_ADMIN_YAML}resilience:
  defaults: { breaker: { enabled: false }, retry: { enabled: false } }
  faults: { headerEnabled: true }
${fault === '' ? '' : `  upstreams:\n    orders: { fault: { abort: ${fault} } }\n`}routes:
  - { name: orders, path: /api/orders/**, upstream: orders, stripPrefix: /api }
`;
  const through = async (headers: Record<string, string> = {}) => {
    const before = upstream.seen.length;
    const answer = await send(`${gateway.url}/api/orders/x`, { headers });
    return { answer, reached: upstream.seen.length > before };
  };

  before(async () => {
    upstream = await startUpstream(echo);
    gateway = await startGateway(yaml());
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  const cases: Array<[fault: string, status: number, kind: string]> = [
    ['abort=418', 418, 'bad-request'],
    ['abort=429', 429, 'rate-limited'],
    ['abort=500', 500, 'internal'],
    ['abort=501', 501, 'internal'],
    ['abort=503', 503, 'unavailable'],
    ['abort=504', 504, 'deadline-exceeded'],
    ['abort=507', 507, 'internal'],
    ['abort=grpc:ABORTED', 409, 'conflict'],
    ['abort=grpc:UNAVAILABLE', 503, 'unavailable'],
  ];
  for (const [fault, status, kind] of cases) {
    test(`x-flotilla-fault: ${fault} → ${status} ${kind}, the upstream not called`, async () => {
      const { answer, reached } = await through({ 'x-flotilla-fault': fault });
      assert.equal(answer.status, status, answer.body);
      const problem = problemOf(answer);
      assert.equal(problem.type, problemType(kind));
      assert.equal(problem.status, status, 'the document agrees with the response');
      assert.match(problem.detail, /^Injected fault: abort with .*\(x-flotilla-fault header\)$/);
      assert.equal(problem.upstream, 'orders');
      assert.equal(reached, false);
    });
  }

  test('a configured abort answers its status; one outside 400-599 is rejected with a clear reason and the previous stays', async () => {
    gateway.writeConfig(yaml('{ status: 507, percent: 100 }'));
    const faulted = await eventually(
      async () => {
        const { answer } = await through();
        return answer.status === 507 ? answer : undefined;
      },
      { message: 'the configured abort' },
    );
    assert.equal(problemOf(faulted).type, problemType('internal'));
    assert.match(problemOf(faulted).detail, /Injected fault: abort with 507 \(fault rule for orders\)/);
    const applied = (await adminJson<ConfigStatus>(gateway.url, '/admin/config')).appliedVersion;

    gateway.writeConfig(yaml('{ status: 302, percent: 100 }'));
    const status = await eventually(
      async () => {
        const now = await adminJson<ConfigStatus>(gateway.url, '/admin/config');
        return now.rejected !== null ? now : undefined;
      },
      { message: 'the gateway rejecting the change' },
    );
    assert.match(
      status.rejected!.reason,
      /resilience\.upstreams\.orders\.fault\.abort\.status = 302: must be an HTTP error status 400-599, not 302/,
    );
    assert.equal(status.appliedVersion, applied, 'the previous config stays in force');
    assert.equal((await through()).answer.status, 507);

    gateway.writeConfig(yaml());
    await eventually(async () => (await through()).answer.status === 200, { message: 'the fault switched off' });
    assert.equal((await through()).reached, true);
  });
});
