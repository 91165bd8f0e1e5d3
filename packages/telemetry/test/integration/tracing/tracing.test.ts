/**
 * Traces end to end through a loopback OTLP receiver: HTTP server span →
 * database span; HTTP → gRPC client → gRPC server (another service) →
 * database, one trace with correct parent links; W3C trace context, trace
 * state and baggage propagation; parent-based sampling; log lines carrying
 * the ids of that same trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningService } from '@flotilla/kit';
import {
  type CapturedLogs,
  captureLogs,
  liesWithin,
  type OtlpReceiver,
  type ReceivedSpan,
  SPAN_KIND,
  startOtlpReceiver,
} from '@flotilla/testing';
import { catalogOptions, defineCatalog } from '../fixtures/catalog.ts';

type Running = RunningService<unknown, unknown>;

const tracingEnv = (endpoint: string, ratio = '1') => ({
  TRACING__ENABLED: 'true',
  TRACING__ENDPOINT: endpoint,
  TRACING__SAMPLE_RATIO: ratio,
  TRACING__BATCH_DELAY_MS: '20',
});

function only(spans: ReceivedSpan[], predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(predicate);
  assert.equal(found.length, 1, `expected one ${what}, found ${found.length}: ${found.map((s) => s.name).join(', ')}`);
  return found[0] as ReceivedSpan;
}

describe('tracing', () => {
  let receiver: OtlpReceiver;
  let back: Running;
  let front: Running;
  let solo: Running;
  let backLogs: CapturedLogs;
  let frontLogs: CapturedLogs;

  before(async () => {
    receiver = await startOtlpReceiver();
    backLogs = captureLogs();
    frontLogs = captureLogs();
    back = (await defineCatalog('back').start(catalogOptions('back', tracingEnv(receiver.endpoint), backLogs.stream))) as Running;
    front = (await defineCatalog('front').start(
      catalogOptions(
        'front',
        {
          ...tracingEnv(receiver.endpoint),
          DEPENDENCIES__GREETER: back.grpcAddress as string,
          DEPENDENCIES__HTTP: back.httpUrl as string,
        },
        frontLogs.stream,
      ),
    )) as Running;
    solo = (await defineCatalog('solo').start(catalogOptions('solo', tracingEnv(receiver.endpoint, '0'), captureLogs().stream))) as Running;
    const created = await fetch(`${back.httpUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'a1', name: 'one' }),
    });
    assert.equal(created.status, 201);
  });

  after(async () => {
    await Promise.all([front?.stop(), solo?.stop()]);
    await back?.stop();
    await receiver?.close();
  });

  test("an HTTP request continues the caller's trace; its query is a child span", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const response = await fetch(`${back.httpUrl}/items/a1`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=abc' },
    });
    assert.equal(response.status, 200);

    const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.server), 'the server span');
    await receiver.waitFor((all) => all.filter((s) => s.traceId === traceId).length >= 2, 'the query span');
    const inTrace = spans.filter((s) => s.traceId === traceId);
    const server = only(inTrace, (s) => s.kind === SPAN_KIND.server, 'server span');
    assert.equal(server.name, 'GET /items/:id');
    assert.equal(server.service, 'back');
    assert.equal(server.parentSpanId, callerSpan);
    assert.equal(server.traceState, 'vendor=abc');
    assert.equal(server.attributes['http.request.method'], 'GET');
    assert.equal(server.attributes['http.route'], '/items/:id');
    assert.equal(server.attributes['url.path'], '/items/a1');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(server.statusCode, 0);

    const query = only(inTrace, (s) => s.kind === SPAN_KIND.client, 'query span');
    assert.equal(query.name, 'SELECT items');
    assert.equal(query.parentSpanId, server.spanId);
    assert.equal(query.attributes['db.system.name'], 'sqlite');
    assert.equal(query.attributes['db.collection.name'], 'items');
    assert.match(String(query.attributes['db.query.text']), /^select .* from "items" where "id" = \?/);
    assert.ok(liesWithin(query, server), 'the query lies within the request');
  });

  test('HTTP → gRPC → another service → database is one trace with correct parent links', async () => {
    const response = await fetch(`${front.httpUrl}/relay/bob`, { headers: { baggage: 'tenant=acme' } });
    assert.equal(response.status, 200);
    assert.match(((await response.json()) as { answer: string }).answer, /\[tenant=acme\]$/, 'baggage crossed the gRPC hop');
    const requestId = response.headers.get('x-request-id');

    const spans = await receiver.waitFor(
      (all) =>
        all.some((s) => s.service === 'back' && s.kind === SPAN_KIND.server && s.name.endsWith('/SayHello')) &&
        all.some((s) => s.service === 'front' && s.name === 'GET /relay/:name'),
      'the relay trace',
    );
    const entry = only(spans, (s) => s.service === 'front' && s.name === 'GET /relay/:name', 'front server span');
    assert.equal(entry.parentSpanId, '', 'a new trace starts at the front');
    await receiver.waitFor((all) => all.filter((s) => s.traceId === entry.traceId).length >= 4, 'four spans in the trace');
    const trace = receiver.spans.filter((s) => s.traceId === entry.traceId);

    const client = only(trace, (s) => s.service === 'front' && s.kind === SPAN_KIND.client, 'gRPC client span');
    assert.equal(client.name, 'flotilla.greeter.v1.GreeterService/SayHello');
    assert.equal(client.parentSpanId, entry.spanId);
    assert.equal(client.attributes['rpc.system'], 'grpc');
    assert.equal(client.attributes['rpc.grpc.status_code'], 0);
    assert.equal(`${client.attributes['server.address']}:${client.attributes['server.port']}`, back.grpcAddress);

    const served = only(trace, (s) => s.service === 'back' && s.kind === SPAN_KIND.server, 'gRPC server span');
    assert.equal(served.name, 'flotilla.greeter.v1.GreeterService/SayHello');
    assert.equal(served.parentSpanId, client.spanId);
    assert.equal(served.attributes['rpc.service'], 'flotilla.greeter.v1.GreeterService');
    assert.equal(served.attributes['rpc.method'], 'SayHello');

    const query = only(trace, (s) => s.service === 'back' && s.kind === SPAN_KIND.client, 'back query span');
    assert.equal(query.name, 'SELECT');
    assert.equal(query.parentSpanId, served.spanId);

    // Logs written while serving carry the ids of this same trace.
    const relaying = frontLogs.lines.find(
      (l) => (l.event as { action?: string } | undefined)?.action === 'relaying' && l['http.request.id'] === requestId,
    );
    assert.ok(relaying, 'the front logged while relaying');
    assert.equal(relaying['trace.id'], entry.traceId);
    assert.equal(relaying['span.id'], entry.spanId);
    assert.equal(relaying['transaction.id'], entry.spanId);
    assert.equal(relaying['service.name'], 'front');

    const greeting = backLogs.lines.find(
      (l) => (l.event as { action?: string } | undefined)?.action === 'greeting' && l['trace.id'] === entry.traceId,
    );
    assert.ok(greeting, 'the back logged with the same trace id');
    assert.equal(greeting['span.id'], served.spanId);
    assert.equal(greeting['transaction.id'], served.spanId);
    assert.equal(greeting['http.request.id'], requestId, 'the request id crossed the gRPC hop');
    assert.equal(greeting['service.name'], 'back');

    const access = frontLogs.lines.find((l) => l.message === 'GET /relay/bob 200');
    assert.ok(access, 'the access line was written');
    assert.equal(access['trace.id'], entry.traceId);
  });

  test('an outbound fetch (undici) from a handler is a client span whose traceparent the next service continues', async () => {
    assert.equal((await fetch(`${front.httpUrl}/forward/a1`)).status, 200);
    const spans = await receiver.waitFor(
      (all) => all.some((s) => s.service === 'front' && s.name === 'GET /forward/:id'),
      'the forward span',
    );
    const entry = only(spans, (s) => s.service === 'front' && s.name === 'GET /forward/:id', 'front server span');
    await receiver.waitFor((all) => all.filter((s) => s.traceId === entry.traceId).length >= 4, 'four spans in the trace');
    const trace = receiver.spans.filter((s) => s.traceId === entry.traceId);
    const outbound = only(trace, (s) => s.service === 'front' && s.kind === SPAN_KIND.client, 'undici client span');
    assert.equal(outbound.parentSpanId, entry.spanId);
    assert.equal(outbound.attributes['http.response.status_code'], 200);
    const served = only(trace, (s) => s.service === 'back' && s.kind === SPAN_KIND.server, 'back server span');
    assert.equal(served.name, 'GET /items/:id');
    assert.equal(served.parentSpanId, outbound.spanId);
    assert.equal(only(trace, (s) => s.service === 'back' && s.kind === SPAN_KIND.client, 'back query').parentSpanId, served.spanId);
  });

  test('a failing request marks its server span as an error', async () => {
    const traceId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    assert.equal((await fetch(`${back.httpUrl}/fail`, { headers: { traceparent: `00-${traceId}-bbbbbbbbbbbbbbbb-01` } })).status, 500);
    const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId), 'the failing span');
    const server = only(spans, (s) => s.traceId === traceId, 'failing span');
    assert.equal(server.statusCode, 2);
    assert.equal(server.attributes['error.type'], '500');
    const line = backLogs.lines.find(
      (l) => l['trace.id'] === traceId && l['log.level'] === 'error' && String(l.message).startsWith('Unexpected error'),
    );
    assert.ok(line, 'the error log line carries the trace id');
  });

  test('sampling is parent-based: ratio 0 drops new traces but follows a sampled caller', async () => {
    assert.equal((await fetch(`${solo.httpUrl}/items/x`)).status, 404);
    const sampledTrace = 'cccccccccccccccccccccccccccccccc';
    assert.equal(
      (await fetch(`${solo.httpUrl}/items/y`, { headers: { traceparent: `00-${sampledTrace}-dddddddddddddddd-01` } })).status,
      404,
    );
    const unsampledTrace = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    assert.equal(
      (await fetch(`${solo.httpUrl}/items/z`, { headers: { traceparent: `00-${unsampledTrace}-ffffffffffffffff-00` } })).status,
      404,
    );
    await receiver.waitFor(
      (all) => all.some((s) => s.traceId === sampledTrace && s.kind === SPAN_KIND.server),
      "the sampled caller's span",
    );
    await (solo.context.telemetry.tracing as { forceFlush(): Promise<void> }).forceFlush();
    const soloServerSpans = receiver.spans.filter((s) => s.service === 'solo' && s.kind === SPAN_KIND.server);
    assert.deepEqual(
      soloServerSpans.map((s) => s.attributes['url.path']),
      ['/items/y'],
    );
  });

  test('probes and scrapes are not traced', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${back.httpUrl}${path}`)).status, 200);
    await (back.context.telemetry.tracing as { forceFlush(): Promise<void> }).forceFlush();
    assert.ok(!receiver.spans.some((s) => ['/healthz', '/readyz', '/metrics'].includes(String(s.attributes['url.path']))));
  });
});
