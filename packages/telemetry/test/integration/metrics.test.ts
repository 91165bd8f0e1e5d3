import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MetricsRegistry } from '@flotilla/telemetry';
import type { RunningService } from '@flotilla/kit';
import { captureLogs, type Sample, sampleValue, scrape, select } from '@flotilla/testing';
import { catalogOptions, defineCatalog } from './fixtures/catalog.ts';

describe('MetricsRegistry', () => {
  test('creating a metric twice returns the same one; a conflicting shape throws', () => {
    const registry = new MetricsRegistry();
    const first = registry.counter({ name: 'flotilla_things_total', help: 'things', labelNames: ['kind'] });
    const again = registry.counter({ name: 'flotilla_things_total', help: 'things', labelNames: ['kind'] });
    assert.equal(first, again);
    assert.throws(
      () => registry.gauge({ name: 'flotilla_things_total', help: 'things', labelNames: ['kind'] }),
      /already registered as a counter/,
    );
    assert.throws(() => registry.counter({ name: 'flotilla_things_total', help: 'things', labelNames: ['other'] }), /labels \[kind\]/);
    assert.throws(() => registry.counter({ name: 'bad-name', help: 'x' }), /Invalid metric name/);
  });

  test('the exposition holds what was recorded', async () => {
    const registry = new MetricsRegistry();
    registry.counter({ name: 'flotilla_hits_total', help: 'hits', labelNames: ['route'] }).inc({ route: '/a' }, 3);
    assert.match(await registry.metrics(), /^flotilla_hits_total\{route="\/a"\} 3$/m);
  });
});

describe('a started service exposes RED, gRPC, database and runtime metrics at /metrics', () => {
  const back = defineCatalog('back');
  const front = defineCatalog('front');
  let backRunning: RunningService<unknown, unknown>;
  let frontRunning: RunningService<unknown, unknown>;
  let backSamples: Sample[];
  let frontSamples: Sample[];
  let contentType: string | null;

  before(async () => {
    backRunning = (await back.start(catalogOptions('back', {}, captureLogs().stream))) as RunningService<unknown, unknown>;
    frontRunning = (await front.start(
      catalogOptions('front', { DEPENDENCIES__GREETER: backRunning.grpcAddress as string }, captureLogs().stream),
    )) as RunningService<unknown, unknown>;
    const base = backRunning.httpUrl as string;
    const post = (id: string) =>
      fetch(`${base}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, name: `item ${id}` }),
      });
    assert.equal((await post('a1')).status, 201);
    assert.equal((await post('b2')).status, 201);
    for (const id of ['a1', 'a1', 'a1', 'b2']) assert.equal((await fetch(`${base}/items/${id}`)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${base}/items/missing-${i}`)).status, 404);
    assert.equal((await fetch(`${base}/no/such/route/42`)).status, 404);
    assert.equal((await fetch(`${base}/fail`)).status, 500);
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${frontRunning.httpUrl}/relay/bob`);
      assert.equal(response.status, 200);
      assert.match(((await response.json()) as { answer: string }).answer, /Hello, bob! \(2 items\)/);
    }
    const scraped = await scrape(base);
    contentType = scraped.contentType;
    backSamples = scraped.samples;
    frontSamples = (await scrape(frontRunning.httpUrl as string)).samples;
  });

  after(async () => {
    await frontRunning?.stop();
    await backRunning?.stop();
  });

  test('served in the Prometheus text format', () => {
    assert.match(contentType ?? '', /^text\/plain; version=0\.0\.4/);
  });

  test('HTTP request durations are counted per method, route template and status code', () => {
    const count = (method: string, route: string, status: string) =>
      sampleValue(backSamples, 'http_server_request_duration_seconds_count', {
        http_request_method: method,
        http_route: route,
        http_response_status_code: status,
      });
    assert.equal(count('POST', '/items', '201'), 2);
    assert.equal(count('GET', '/items/:id', '200'), 4);
    assert.equal(count('GET', '/items/:id', '404'), 2);
    assert.equal(count('GET', '(unmatched)', '404'), 1);
    assert.equal(count('GET', '/fail', '500'), 1);
    const inf = sampleValue(backSamples, 'http_server_request_duration_seconds_bucket', {
      http_request_method: 'GET',
      http_route: '/items/:id',
      http_response_status_code: '200',
      le: '+Inf',
    });
    assert.equal(inf, 4);
  });

  test('label values are route templates, never raw paths or ids', () => {
    const routes = new Set(select(backSamples, 'http_server_request_duration_seconds_count').map((s) => s.labels.http_route));
    assert.deepEqual([...routes].sort(), ['(unmatched)', '/fail', '/items', '/items/:id']);
    for (const sample of backSamples) {
      for (const value of Object.values(sample.labels))
        assert.doesNotMatch(value, /a1|b2|missing|no\/such/, `${sample.name} has a raw value ${value}`);
    }
  });

  test('active requests count the scrape in flight and nothing else', () => {
    assert.equal(sampleValue(backSamples, 'http_server_active_requests', { http_request_method: 'GET' }), 1);
    assert.equal(sampleValue(backSamples, 'http_server_active_requests', { http_request_method: 'POST' }), 0);
  });

  test('gRPC server and client durations carry service, method and status code', () => {
    const served = {
      rpc_service: 'flotilla.greeter.v1.GreeterService',
      rpc_method: 'SayHello',
      rpc_grpc_status_code: '0',
    };
    assert.equal(sampleValue(backSamples, 'rpc_server_duration_seconds_count', served), 2);
    assert.equal(
      sampleValue(frontSamples, 'rpc_client_duration_seconds_count', {
        ...served,
        server_address: backRunning.grpcAddress as string,
      }),
      2,
    );
    assert.equal(select(frontSamples, 'rpc_server_duration_seconds_count').length, 0, 'front served no gRPC');
  });

  test('database operations are timed per operation and table; the pool is gauged', () => {
    const op = (operation: string, table: string) =>
      sampleValue(backSamples, 'db_client_operation_duration_seconds_count', {
        db_system_name: 'sqlite',
        db_operation_name: operation,
        db_collection_name: table,
        error_type: '',
      });
    assert.equal(op('SELECT', 'items'), 6);
    assert.equal(op('INSERT', 'items'), 2);
    assert.ok(op('SELECT', '') >= 2, 'raw SQL is counted without a table');
    assert.equal(
      sampleValue(backSamples, 'db_client_connection_count', { state: 'used' }) +
        sampleValue(backSamples, 'db_client_connection_count', { state: 'idle' }),
      1,
    );
    assert.equal(sampleValue(backSamples, 'db_client_connection_pending_requests'), 0);
  });

  test('Node runtime metrics and the service info are exposed', () => {
    for (const name of [
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_active_handles_total',
    ]) {
      assert.ok(select(backSamples, name).length > 0, `${name} is missing`);
    }
    assert.equal(sampleValue(backSamples, 'flotilla_service_info', { service: 'back', version: '1.2.3', namespace: 'test' }), 1);
  });

  test('each service has its own registry', () => {
    assert.equal(sampleValue(frontSamples, 'flotilla_service_info', { service: 'front' }), 1);
    assert.equal(select(frontSamples, 'flotilla_service_info', { service: 'back' }).length, 0);
    assert.equal(select(frontSamples, 'http_server_request_duration_seconds_count', { http_route: '/items/:id' }).length, 0);
  });

  test('/metrics is not in the OpenAPI document', async () => {
    const document = (await (await fetch(`${backRunning.httpUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    assert.ok('/items/{id}' in document.paths);
    assert.ok(!('/metrics' in document.paths));
    assert.ok(!('/admin/anomalies' in document.paths));
  });
});
