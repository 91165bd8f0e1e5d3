/**
 * Observability end to end, through real processes (users and orders on
 * SQLite, the gateway; config/dev plus environment, see support/system.ts):
 *  - tracing on (ratio 1) into a loopback OTLP receiver: one request through
 *    the gateway to orders, which checks the user over gRPC, is one trace
 *    covering gateway, orders, users and both databases with correct parent
 *    links; an aggregation is one span with its parts as parallel children;
 *    the processes' JSON log lines carry that trace's id;
 *  - a real Prometheus (scripts/test-services) with the shipped scrape config
 *    and rule files, its targets pointed at these processes: request rate per
 *    service, a p99 through histogram_quantile, the gateway's client series
 *    per upstream, and, once users is killed, the instance-down alert firing.
 *
 *   node scripts/test-services/cli.ts run --only prometheus -- \
 *     node --conditions=@flotilla/source --test packages/gateway/test/integration/observability-e2e.test.ts
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  eventually,
  type OtlpReceiver,
  overlap,
  type ReceivedSpan,
  shippedPrometheusFiles,
  SPAN_KIND,
  startOtlpReceiver,
} from '@flotilla/testing';
import { startPrometheus, type RunningPrometheus } from '../../../../scripts/test-services/prometheus.ts';
import { startSystem, tracedSystemKeys, type RunningSystem, type SystemProcess } from './support/system.ts';

function randomHex(bytes: number): string {
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Whether `span` descends from `ancestor` through spans of the same trace. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, trace: ReceivedSpan[]): boolean {
  let current: ReceivedSpan | undefined = span;
  for (let hops = 0; current !== undefined && hops < 50; hops++) {
    if (current.parentSpanId === ancestor.spanId) return true;
    current = trace.find((s) => s.spanId === current?.parentSpanId);
  }
  return false;
}

const isDbSpan = (s: ReceivedSpan): boolean => s.attributes['db.system.name'] !== undefined;

function linesOfTrace(process: SystemProcess, traceId: string): Array<Record<string, unknown>> {
  return process.lines().filter((line) => line['trace.id'] === traceId);
}

describe('observability end to end: gateway → orders → users (gRPC) → SQLite', () => {
  let receiver: OtlpReceiver;
  let system: RunningSystem;
  let user: { id: string };

  before(async () => {
    receiver = await startOtlpReceiver();
    system = await startSystem({
      keys: tracedSystemKeys(receiver.endpoint),
    });
    const created = await postJson(`${system.gateway.url}/api/users`, {
      name: 'Ada Lovelace',
      email: `ada-${randomHex(4)}@example.com`,
    });
    assert.equal(created.status, 201, await created.clone().text());
    user = (await created.json()) as { id: string };
  });

  after(async () => {
    await system?.stop();
    await receiver?.close();
  });

  test('placing an order through the gateway is one trace: gateway, orders, users over gRPC, both databases', async () => {
    const traceId = randomHex(16);
    const callerSpan = randomHex(8);
    const placed = await postJson(
      `${system.gateway.url}/api/orders`,
      { userId: user.id, items: [{ sku: 'book-1', quantity: 2, unitPrice: 1250 }], currency: 'EUR' },
      { traceparent: `00-${traceId}-${callerSpan}-01` },
    );
    assert.equal(placed.status, 201, await placed.clone().text());

    const complete = (spans: ReceivedSpan[]): boolean => {
      const trace = spans.filter((s) => s.traceId === traceId);
      const has = (service: string, test: (s: ReceivedSpan) => boolean): boolean => trace.some((s) => s.service === service && test(s));
      // Every span read below, the root server span of each process included (it ends after that process's other spans).
      return (
        has('gateway', (s) => s.kind === SPAN_KIND.server) &&
        has('gateway', (s) => s.kind === SPAN_KIND.client) &&
        has('orders', (s) => s.kind === SPAN_KIND.server) &&
        has('orders', (s) => s.kind === SPAN_KIND.client && s.name.endsWith('/GetUser')) &&
        has('users', (s) => s.kind === SPAN_KIND.server) &&
        has('users', isDbSpan) &&
        has('orders', (s) => isDbSpan(s) && s.attributes['db.operation.name'] === 'INSERT')
      );
    };
    const trace = (await receiver.waitFor(complete, 'the order trace from all three services', 30_000)).filter(
      (s) => s.traceId === traceId,
    );

    const gatewayServer = trace.find((s) => s.service === 'gateway' && s.kind === SPAN_KIND.server) as ReceivedSpan;
    assert.equal(gatewayServer.name, 'POST /api/orders/**');
    assert.equal(gatewayServer.parentSpanId, callerSpan, "the gateway continues the caller's trace");
    const gatewayClient = trace.find((s) => s.service === 'gateway' && s.kind === SPAN_KIND.client) as ReceivedSpan;
    assert.equal(gatewayClient.parentSpanId, gatewayServer.spanId);
    assert.equal(gatewayClient.attributes['peer.service'], 'orders');

    const ordersServer = trace.find((s) => s.service === 'orders' && s.kind === SPAN_KIND.server) as ReceivedSpan;
    assert.equal(ordersServer.name, 'POST /orders');
    assert.equal(ordersServer.parentSpanId, gatewayClient.spanId, 'orders is a child of the gateway client span');
    const grpcClient = trace.find(
      (s) => s.service === 'orders' && s.kind === SPAN_KIND.client && s.name.endsWith('/GetUser'),
    ) as ReceivedSpan;
    assert.ok(descendsFrom(grpcClient, ordersServer, trace));
    const usersServer = trace.find((s) => s.service === 'users' && s.kind === SPAN_KIND.server) as ReceivedSpan;
    assert.equal(usersServer.name, grpcClient.name);
    assert.equal(usersServer.parentSpanId, grpcClient.spanId, 'users serves the gRPC call as its child');
    const usersQuery = trace.find((s) => s.service === 'users' && isDbSpan(s)) as ReceivedSpan;
    assert.equal(usersQuery.attributes['db.system.name'], 'sqlite');
    assert.ok(descendsFrom(usersQuery, usersServer, trace), 'the users query is under its gRPC span');
    const ordersInsert = trace.find(
      (s) => s.service === 'orders' && isDbSpan(s) && s.attributes['db.operation.name'] === 'INSERT',
    ) as ReceivedSpan;
    assert.ok(descendsFrom(ordersInsert, ordersServer, trace), 'the orders insert is under its request span');

    for (const span of trace) {
      if (span !== gatewayServer)
        assert.ok(descendsFrom(span, gatewayServer, trace), `${span.service} ${span.name} belongs under the gateway's span`);
    }

    // The processes' own log lines carry the same trace (they come through each process's stdout, on its own schedule).
    const access = await eventually(
      async () => linesOfTrace(system.gateway, traceId).find((line) => (line.url as { path?: string } | undefined)?.path === '/api/orders'),
      { message: 'the gateway access line carrying the trace id' },
    );
    assert.equal(access['transaction.id'], gatewayServer.spanId);
    await eventually(async () => linesOfTrace(system.orders, traceId).some((line) => line['transaction.id'] === ordersServer.spanId), {
      message: 'orders logging inside the trace',
    });
    await eventually(async () => linesOfTrace(system.users, traceId).some((line) => line['transaction.id'] === usersServer.spanId), {
      message: 'users logging inside the trace',
    });
  });

  test('an aggregation is one span whose parts run in parallel, each continued by its service', async () => {
    const traceId = randomHex(16);
    const profile = await fetch(`${system.gateway.url}/api/users/${user.id}/profile`, {
      headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
    });
    assert.equal(profile.status, 200, await profile.clone().text());
    const body = (await profile.json()) as { user: { id: string }; orders: { items: unknown[] } };
    assert.equal(body.user.id, user.id);
    assert.equal(body.orders.items.length, 1);

    const trace = (
      await receiver.waitFor(
        (spans) =>
          spans.filter((s) => s.traceId === traceId && s.kind === SPAN_KIND.server && s.service !== 'gateway').length >= 2 &&
          spans.filter((s) => s.traceId === traceId && s.service === 'gateway').length >= 3,
        'the aggregation trace',
        30_000,
      )
    ).filter((s) => s.traceId === traceId);
    const aggregation = trace.find((s) => s.service === 'gateway' && s.kind === SPAN_KIND.server) as ReceivedSpan;
    assert.equal(aggregation.name, 'GET /api/users/:id/profile');
    const parts = trace.filter((s) => s.service === 'gateway' && s.kind === SPAN_KIND.client);
    assert.equal(parts.length, 2);
    for (const part of parts) assert.equal(part.parentSpanId, aggregation.spanId);
    const [a, b] = parts as [ReceivedSpan, ReceivedSpan];
    assert.ok(overlap(a, b), 'the two parts overlap in time');
    for (const part of parts) {
      const service = part.attributes['peer.service'] as string;
      const served = trace.find((s) => s.service === service && s.kind === SPAN_KIND.server);
      assert.equal(served?.parentSpanId, part.spanId, `${service} continues its part's span`);
    }
    await eventually(
      async () =>
        linesOfTrace(system.gateway, traceId).some((line) => (line.http as { route?: string } | undefined)?.route === 'user-profile'),
      { message: 'the aggregation access line carrying the trace id' },
    );
  });

  describe('a real Prometheus with the shipped scrape config and rules', () => {
    let prometheus: RunningPrometheus | undefined;
    let workDir: string | undefined;
    let traffic: Promise<void> | undefined;
    let trafficStopped = false;

    const query = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const response = await fetch(`${prometheus?.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const answer = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      assert.equal(answer.status, 'success', `${expr}: ${answer.error}`);
      return answer.data?.result ?? [];
    };
    /** Queries `expr` until `accept` takes the result (a generous bound, never a timing assertion). */
    const queryUntil = (
      expr: string,
      accept: (result: Awaited<ReturnType<typeof query>>) => boolean,
      timeoutMs = 60_000,
    ): Promise<Awaited<ReturnType<typeof query>>> =>
      eventually(
        async () => {
          const result = await query(expr);
          assert.ok(accept(result), `${expr} gave ${JSON.stringify(result)}`);
          return result;
        },
        { timeoutMs, intervalMs: 500, message: `${expr} to match` },
      );
    const skipWithoutPrometheus = (t: TestContext): boolean => {
      if (prometheus !== undefined) return false;
      t.skip('FLOTILLA_TEST_PROMETHEUS_BIN not set (run under scripts/test-services --only prometheus)');
      return true;
    };

    before(async () => {
      if (process.env.FLOTILLA_TEST_PROMETHEUS_BIN === undefined) {
        if (process.env.FLOTILLA_TEST_REQUIRE_SERVICES === '1')
          throw new Error('FLOTILLA_TEST_PROMETHEUS_BIN is not set but FLOTILLA_TEST_REQUIRE_SERVICES=1');
        return;
      }
      // The shipped file and rule files; only the static targets (this system's ports) and the intervals change.
      const running: Record<string, SystemProcess> = {
        gateway: system.gateway,
        users: system.users,
        orders: system.orders,
      };
      const files = shippedPrometheusFiles((shipped) =>
        shipped.flatMap((group) => {
          const process = running[group.labels.service ?? ''];
          return process === undefined ? [] : [{ ...group, targets: [process.target] }];
        }),
      );
      workDir = files.dir;
      prometheus = await startPrometheus({ configFile: files.configFile, dir: files.dir });
      assert.equal(files.groups.length, 3, 'the shipped targets name gateway, users and orders');
      await queryUntil('up{job="flotilla-local"} == 1', (r) => r.length === 3);

      // Traffic through the gateway (proxied reads, a 404, aggregations) until the last test stops it; bounded.
      traffic = (async () => {
        const until = Date.now() + 240_000;
        for (let i = 0; !trafficStopped && Date.now() < until; i++) {
          const path =
            i % 7 === 6
              ? '/api/users/unknown-user'
              : i % 3 === 2
                ? `/api/users/${user.id}/profile`
                : i % 3 === 1
                  ? `/api/orders?userId=${user.id}`
                  : `/api/users/${user.id}`;
          await (await fetch(`${system.gateway.url}${path}`)).arrayBuffer();
          await sleep(20);
        }
      })();
    });

    after(async () => {
      trafficStopped = true;
      await traffic;
      await prometheus?.stop();
      if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
    });

    test('request rate per service, and the gateway per route and per upstream', async (t) => {
      if (skipWithoutPrometheus(t)) return;
      // Every service answers requests; the gateway at least one a second (the traffic loop sends many more).
      const perService = (r: Awaited<ReturnType<typeof query>>, service: string): number =>
        Number(r.find((v) => v.metric.service === service)?.value[1] ?? 0);
      await queryUntil(
        'sum by (service) (rate(http_server_request_duration_seconds_count{job="flotilla-local"}[30s]))',
        (r) => perService(r, 'gateway') > 1 && perService(r, 'users') > 0 && perService(r, 'orders') > 0,
      );
      const routes = await queryUntil(
        'sum by (http_route) (rate(http_server_request_duration_seconds_count{service="gateway", http_route=~"/api/.*"}[30s]))',
        (r) => r.length >= 3,
      );
      assert.deepEqual(
        routes.map((v) => v.metric.http_route).sort(),
        ['/api/orders/**', '/api/users/**', '/api/users/:id/profile'],
        'the route patterns, never a raw path',
      );
      const upstreams = await queryUntil(
        'sum by (upstream) (rate(http_client_request_duration_seconds_count{service="gateway"}[30s]))',
        (r) => r.length === 2,
      );
      assert.deepEqual(upstreams.map((v) => v.metric.upstream).sort(), ['orders', 'users']);
      await queryUntil('service:http_server_requests:rate5m{service="gateway"}', (r) => r.length === 1 && Number(r[0]?.value[1]) > 0);
    });

    test('a p99 through histogram_quantile, and its recording rule', async (t) => {
      if (skipWithoutPrometheus(t)) return;
      const p99 = await queryUntil(
        'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{service="gateway", http_route="/api/users/**"}[30s])))',
        (r) => r.length === 1 && Number.isFinite(Number(r[0]?.value[1])),
      );
      const seconds = Number(p99[0]?.value[1]);
      assert.ok(seconds > 0 && seconds <= 10, `p99 ${seconds} s lies inside the buckets`);
      await queryUntil(
        'service_route:http_server_request_duration_seconds:p99_5m{service="gateway", http_route="/api/users/:id/profile"}',
        (r) => r.length === 1 && Number(r[0]?.value[1]) > 0,
      );
      await queryUntil(
        'service_upstream:http_client_request_duration_seconds:p99_5m{service="gateway", upstream="users"}',
        (r) => r.length === 1 && Number(r[0]?.value[1]) > 0,
      );
    });

    test('killing users: its instance-down alert fires, and the gateway records the failures', {
      timeout: 240_000,
    }, async (t) => {
      if (skipWithoutPrometheus(t)) return;
      trafficStopped = true;
      await traffic;
      await system.users.kill();
      // Keep calling users through the gateway while Prometheus waits out the alert's `for` (bounded by the alert or 180 s).
      let firing = false;
      const failing = (async () => {
        const until = Date.now() + 180_000;
        while (!firing && Date.now() < until) {
          const answer = await fetch(`${system.gateway.url}/api/users/${user.id}`);
          // 502 while calls still reach the dead instance; 503 circuit-open once the breaker stops them.
          assert.ok(answer.status === 502 || answer.status === 503, `status ${answer.status}`);
          await answer.arrayBuffer();
          await sleep(200);
        }
      })();
      try {
        await queryUntil('up{job="flotilla-local", service="users"}', (r) => r[0]?.value[1] === '0');
        await queryUntil('service:http_server_error_ratio:rate5m{service="gateway"}', (r) => r.length === 1 && Number(r[0]?.value[1]) > 0);
        const refused = await queryUntil(
          'sum by (error_type) (http_client_request_duration_seconds_count{service="gateway", upstream="users", error_type!=""})',
          (r) => r.length > 0,
        );
        assert.ok(
          refused.some((v) => v.metric.error_type === 'connection_refused'),
          JSON.stringify(refused),
        );
        const alert = await queryUntil(
          'ALERTS{alertname="FlotillaInstanceDown", service="users", alertstate="firing"}',
          (r) => r.length === 1,
          180_000,
        );
        assert.equal(alert[0]?.metric.severity, 'page');
      } finally {
        firing = true;
        await failing;
      }
    });
  });
});
