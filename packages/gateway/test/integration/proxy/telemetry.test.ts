/**
 * The gateway's routed path (below Fastify) is observed like any kit route:
 * RED metrics by route pattern, HTTP client metrics per upstream instance, a
 * SERVER span continuing the caller's trace with one CLIENT span per
 * upstream call (its context injected into the upstream request), an
 * aggregation's parts as parallel children of one span, access lines that
 * carry the trace ids, and problem bodies from the kit's taxonomy.
 * Real sockets: node:http upstreams, the gateway in-process, a loopback
 * OTLP receiver decoding the exported protobuf.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningService } from '@flotilla/kit';
import {
  type CapturedLogs,
  captureLogs,
  eventually,
  freePort,
  liesWithin,
  type OtlpReceiver,
  overlap,
  parseExposition,
  type ReceivedSpan,
  type Sample,
  sampleValue,
  select,
  SPAN_KIND,
  startOtlpReceiver,
} from '@flotilla/testing';
import { gatewayService } from '../../../src/service.ts';
import { echo, json, send, startUpstream, type Upstream } from '../support/http.ts';

interface StartedGateway {
  url: string;
  logs: CapturedLogs;
  stop(): Promise<void>;
}

async function startObservedGateway(yaml: string, env: Record<string, string>): Promise<StartedGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-gateway-obs-'));
  mkdirSync(join(dir, 'test'));
  writeFileSync(join(dir, 'test', 'gateway.yaml'), `http: { host: 127.0.0.1, port: 0 }\nlog: { level: info }\n${yaml}`);
  const logs = captureLogs();
  const running = (await gatewayService.start({
    configDir: dir,
    namespace: 'test',
    env: { FLOTILLA_HOME: join(dir, 'home'), ...env },
    logDestination: logs.stream,
  })) as RunningService<unknown, unknown>;
  return {
    url: running.httpUrl as string,
    logs,
    stop: async () => {
      await running.stop('test finished');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function metricsOf(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  return parseExposition(await response.text());
}

/** The parent span id a traceparent header names. */
function parentOf(traceparent: string | string[] | undefined): { traceId: string; spanId: string; flags: string } {
  assert.equal(typeof traceparent, 'string', `one traceparent header, got ${JSON.stringify(traceparent)}`);
  const [, traceId = '', spanId = '', flags = ''] = (traceparent as string).split('-');
  return { traceId, spanId, flags };
}

function randomHex(bytes: number): string {
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');
}

/** Both parts wait for each other, so a gateway calling them one after the other would never answer 200. */
class Meeting {
  readonly #arrived = new Set<string>();
  readonly #waiting = new Map<string, () => void>();
  arrive(who: string, other: string, answer: () => void): void {
    this.#arrived.add(who);
    this.#waiting.get(who)?.();
    if (this.#arrived.has(other)) answer();
    else this.#waiting.set(other, answer);
  }
}

describe('gateway observability (tracing on)', () => {
  let receiver: OtlpReceiver;
  let users: Upstream;
  let orders: Upstream;
  let gateway: StartedGateway;
  let dead: string;
  const meeting = new Meeting();
  const hung: ServerResponse[] = [];

  before(async () => {
    receiver = await startOtlpReceiver();
    users = await startUpstream((req, res) => {
      if (req.url === '/users/together') return meeting.arrive('users', 'orders', () => json(res, 200, { id: 'together' }));
      if (req.url === '/users/hang') return void hung.push(res);
      return echo(req, res);
    });
    orders = await startUpstream((req, res) => {
      if (req.url === '/orders?userId=together') return meeting.arrive('orders', 'users', () => json(res, 200, { items: [] }));
      return echo(req, res);
    });
    dead = `http://127.0.0.1:${await freePort()}`;
    gateway = await startObservedGateway(
      `
upstreams:
  users: { instances: ['${users.url}'] }
  orders: { instances: ['${orders.url}'] }
  gone: { instances: ['${dead}'] }
routes:
  - { name: users, path: /api/users/**, upstream: users, stripPrefix: /api, methods: [GET, POST] }
  - { name: gone, path: /api/gone/**, upstream: gone, stripPrefix: /api }
# One attempt per request: these tests count spans and series per call (retries have their own tests).
resilience:
  defaults: { retry: { enabled: false } }
aggregations:
  - name: profile
    path: /api/users/:id/profile
    parts:
      user: { upstream: users, path: '/users/{id}', required: true }
      orders: { upstream: orders, path: '/orders?userId={id}' }
`,
      {
        FLOTILLA_GATEWAY__TRACING__ENABLED: 'true',
        FLOTILLA_GATEWAY__TRACING__ENDPOINT: receiver.endpoint,
        FLOTILLA_GATEWAY__TRACING__BATCH_DELAY_MS: '20',
      },
    );
  });

  after(async () => {
    for (const res of hung) res.destroy();
    await gateway?.stop();
    await users?.close();
    await orders?.close();
    await receiver?.close();
  });

  test('a proxied request: server span continuing the caller, client span injected upstream, metrics, correlated access line', async () => {
    const traceId = randomHex(16);
    const callerSpan = randomHex(8);
    const seenBefore = users.seen.length;
    const answer = await send(`${gateway.url}/api/users/42?expand=1`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=opaque', baggage: 'tenant=acme' },
    });
    assert.equal(answer.status, 200);

    // What the upstream received: the gateway's own context, once, in the caller's trace.
    const arrived = users.seen[seenBefore];
    assert.ok(arrived);
    assert.equal(arrived.rawHeaderNames.filter((name) => name === 'traceparent').length, 1, 'exactly one traceparent upstream');
    const upstreamParent = parentOf(arrived.headers.traceparent);
    assert.equal(upstreamParent.traceId, traceId);
    assert.notEqual(upstreamParent.spanId, callerSpan, 'the upstream is a child of the gateway, not of its caller');
    assert.equal(upstreamParent.flags, '01');
    assert.equal(arrived.headers.tracestate, 'vendor=opaque');
    assert.match(String(arrived.headers.baggage), /tenant=acme/);

    const spans = await receiver.waitFor(
      (all) => all.filter((s) => s.traceId === traceId).length >= 2,
      'the gateway server and client spans',
    );
    const server = spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.server) as ReceivedSpan;
    const client = spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.client) as ReceivedSpan;
    assert.equal(server.service, 'gateway');
    assert.equal(server.name, 'GET /api/users/**', 'named by the route pattern, not the path');
    assert.equal(server.parentSpanId, callerSpan);
    assert.equal(server.traceState, 'vendor=opaque');
    assert.equal(server.attributes['http.route'], '/api/users/**');
    assert.equal(server.attributes['url.path'], '/api/users/42');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(client.parentSpanId, server.spanId, 'the client span is a child of the server span');
    assert.equal(client.spanId, upstreamParent.spanId, 'the upstream continues from the client span');
    assert.equal(client.name, 'GET');
    assert.equal(client.attributes['peer.service'], 'users');
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(client.attributes['server.port'], Number(new URL(users.url).port));
    assert.equal(client.attributes['url.full'], `${users.url}/users/42?expand=1`);
    assert.equal(client.attributes['http.response.status_code'], 200);
    assert.ok(liesWithin(client, server), 'the call lies within the request');

    const access = gateway.logs.lines.find(
      (line) =>
        (line.url as { path?: string } | undefined)?.path === '/api/users/42' &&
        (line.event as { type?: string[] } | undefined)?.type?.includes('access'),
    );
    assert.ok(access, 'an access line');
    assert.equal(access['trace.id'], traceId);
    assert.equal(access['span.id'], server.spanId);
    assert.equal(access['transaction.id'], server.spanId);

    const samples = await metricsOf(gateway.url);
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'GET',
        http_route: '/api/users/**',
        http_response_status_code: '200',
      }),
      1,
    );
    assert.equal(
      select(samples, 'http_server_request_duration_seconds_count').filter((s) => s.labels.http_route?.includes('42')).length,
      0,
      'no raw paths as labels',
    );
    assert.equal(
      sampleValue(samples, 'http_client_request_duration_seconds_count', {
        upstream: 'users',
        server_address: new URL(users.url).host,
        http_request_method: 'GET',
        http_response_status_code: '200',
        error_type: '',
      }),
      1,
    );
  });

  test('an aggregation: one server span, its parts as overlapping client children, each upstream with its own parent', async () => {
    const traceId = randomHex(16);
    const answer = await send(`${gateway.url}/api/users/together/profile`, {
      headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
    });
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(answer.json(), { user: { id: 'together' }, orders: { items: [] } });

    const spans = await receiver.waitFor((all) => all.filter((s) => s.traceId === traceId).length >= 3, 'the aggregation spans');
    const server = spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.server) as ReceivedSpan;
    const parts = spans.filter((s) => s.traceId === traceId && s.kind === SPAN_KIND.client);
    assert.equal(server.name, 'GET /api/users/:id/profile');
    assert.deepEqual(parts.map((p) => p.name).sort(), ['GET /orders?userId={id}', 'GET /users/{id}']);
    assert.deepEqual(parts.map((p) => p.attributes['peer.service']).sort(), ['orders', 'users']);
    for (const part of parts) assert.equal(part.parentSpanId, server.spanId, `${part.name} is a child of the aggregation's span`);
    const [a, b] = parts as [ReceivedSpan, ReceivedSpan];
    assert.ok(overlap(a, b), 'the parts ran at the same time');

    const usersSide = parentOf(users.seen.find((r) => r.url === '/users/together')?.headers.traceparent);
    const ordersSide = parentOf(orders.seen.find((r) => r.url === '/orders?userId=together')?.headers.traceparent);
    assert.equal(usersSide.spanId, parts.find((p) => p.attributes['peer.service'] === 'users')?.spanId);
    assert.equal(ordersSide.spanId, parts.find((p) => p.attributes['peer.service'] === 'orders')?.spanId);

    const samples = await metricsOf(gateway.url);
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'GET',
        http_route: '/api/users/:id/profile',
        http_response_status_code: '200',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'http_client_request_duration_seconds_count', {
        upstream: 'orders',
        http_response_status_code: '200',
      }),
      1,
    );
  });

  test('failures: an unreachable upstream is a 502 with an error-typed client series and an ERROR span; 405 is measured under its route', async () => {
    const traceId = randomHex(16);
    const refused = await send(`${gateway.url}/api/gone/x`, {
      headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
    });
    assert.equal(refused.status, 502);
    const problem = refused.json();
    assert.equal(problem.type, 'https://flotilla.dev/problems/bad-gateway');
    assert.equal(problem.title, 'Bad gateway');
    assert.equal(problem.upstream, 'gone');

    const spans = await receiver.waitFor((all) => all.filter((s) => s.traceId === traceId).length >= 2, 'the failed request spans');
    const server = spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.server) as ReceivedSpan;
    const client = spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.client) as ReceivedSpan;
    assert.equal(server.attributes['http.response.status_code'], 502);
    assert.equal(server.statusCode, 2);
    assert.equal(client.attributes['error.type'], 'connection_refused');
    assert.equal(client.statusCode, 2);

    const notAllowed = await send(`${gateway.url}/api/users/1`, { method: 'DELETE' });
    assert.equal(notAllowed.status, 405);
    assert.equal(notAllowed.headers.allow, 'GET, POST');
    assert.deepEqual(
      { type: notAllowed.json().type, title: notAllowed.json().title, status: notAllowed.json().status },
      { type: 'https://flotilla.dev/problems/method-not-allowed', title: 'Method not allowed', status: 405 },
    );

    const samples = await metricsOf(gateway.url);
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_route: '/api/gone/**',
        http_response_status_code: '502',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'http_client_request_duration_seconds_count', {
        upstream: 'gone',
        http_response_status_code: '',
        error_type: 'connection_refused',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'DELETE',
        http_route: '/api/users/**',
        http_response_status_code: '405',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'http_server_active_requests', { http_request_method: 'GET' }),
      1,
      'every routed request ended: only this scrape is in flight',
    );
  });

  test('a client that goes away is recorded as 499, and its upstream call as cancelled', async () => {
    const client = request(`${gateway.url}/api/users/hang`);
    client.on('error', () => undefined);
    client.end();
    await eventually(async () => hung.length > 0, { message: 'the upstream to receive the request' });
    client.destroy();
    const samples = await eventually(
      async () => {
        const now = await metricsOf(gateway.url);
        return select(now, 'http_server_request_duration_seconds_count', {
          http_route: '/api/users/**',
          http_response_status_code: '499',
        }).length > 0
          ? now
          : undefined;
      },
      { message: 'the 499 in the metrics' },
    );
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_route: '/api/users/**',
        http_response_status_code: '499',
      }),
      1,
    );
    assert.equal(sampleValue(samples, 'http_client_request_duration_seconds_count', { upstream: 'users', error_type: 'cancelled' }), 1);
  });
});

describe('gateway observability (tracing off)', () => {
  let upstream: Upstream;
  let gateway: StartedGateway;

  before(async () => {
    upstream = await startUpstream(echo);
    gateway = await startObservedGateway(
      `
upstreams:
  echo: { instances: ['${upstream.url}'] }
routes:
  - { path: /api/**, upstream: echo, stripPrefix: /api }
`,
      {},
    );
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('the trace context passes through untouched, and metrics are still recorded', async () => {
    const traceparent = `00-${randomHex(16)}-${randomHex(8)}-01`;
    const answer = await send(`${gateway.url}/api/anything`, {
      headers: { traceparent, tracestate: 'a=b', baggage: 'k=v' },
    });
    assert.equal(answer.status, 200);
    const seen = upstream.seen.at(-1);
    assert.equal(seen?.headers.traceparent, traceparent);
    assert.equal(seen?.headers.tracestate, 'a=b');
    assert.equal(seen?.headers.baggage, 'k=v');
    const access = gateway.logs.lines.find((line) => (line.url as { path?: string } | undefined)?.path === '/api/anything');
    assert.ok(access);
    assert.equal(access['trace.id'], undefined, 'no trace ids when nothing is traced');

    // A request with a body loses its socket once answered; its access line still names the client.
    assert.equal(
      (
        await send(`${gateway.url}/api/posted`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"a":1}',
        })
      ).status,
      200,
    );
    const posted = gateway.logs.lines.find((line) => (line.url as { path?: string } | undefined)?.path === '/api/posted');
    assert.deepEqual(posted?.client, { address: '127.0.0.1' });

    const samples = await metricsOf(gateway.url);
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'GET',
        http_route: '/api/**',
        http_response_status_code: '200',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'http_client_request_duration_seconds_count', {
        upstream: 'echo',
        http_request_method: 'POST',
        http_response_status_code: '200',
      }),
      1,
    );
  });
});
