/**
 * The recent-spans buffer (`tracing.recent`): what a service exported lately,
 * read back by trace for its admin endpoint. Spans made through the
 * OpenTelemetry API come back with their ids, parents, kinds, times,
 * attributes and status; the traces list says which span is the root and
 * whether any failed; and the buffer holds at most its bytes, dropping the
 * oldest export requests first.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createServiceTracing, RecentSpans, type ServiceTracing } from '@flotilla/telemetry';

/** A loopback OTLP receiver that keeps each request body as it came. */
async function startReceiver(): Promise<{ endpoint: string; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('recent spans', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let tracing: ServiceTracing;

  before(async () => {
    receiver = await startReceiver();
    tracing = await createServiceTracing(
      { enabled: true, endpoint: receiver.endpoint, sampleRatio: 1, headers: {}, exportTimeoutMs: 5_000, batchDelayMs: 10 },
      { service: 'recent-test', version: '1.0.0', namespace: 'test' },
    );
  });
  after(async () => {
    await tracing?.shutdown();
    await receiver?.close();
  });

  test('an exported trace is read back by its id, spans and all', async () => {
    const tracer = tracing.tracer;
    const root = tracer.startSpan('GET /users/:id', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/users/:id', 'http.response.status_code': 200 },
    });
    const child = tracer.startSpan(
      'SELECT users',
      { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'sqlite', cached: false } },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'locked' });
    child.end();
    root.end();
    const other = tracer.startSpan('unrelated');
    other.end();
    await tracing.forceFlush();

    const traceId = root.spanContext().traceId;
    const spans = tracing.recent.trace(traceId);
    assert.deepEqual(
      spans.map((s) => ({ name: s.name, kind: s.kind, parent: s.parentSpanId, service: s.service, status: s.status })),
      [
        { name: 'GET /users/:id', kind: 'server', parent: null, service: 'recent-test', status: 'unset' },
        { name: 'SELECT users', kind: 'client', parent: root.spanContext().spanId, service: 'recent-test', status: 'error' },
      ],
    );
    assert.deepEqual(spans[1]?.attributes, { 'db.system.name': 'sqlite', cached: false });
    assert.equal(spans[0]?.attributes['http.response.status_code'], 200);
    assert.ok((spans[0]?.durationMs ?? -1) >= 0);
    assert.ok(Math.abs((spans[0]?.start ?? 0) - Date.now()) < 60_000, 'start is in epoch milliseconds');

    const listed = tracing.recent.traces().find((t) => t.traceId === traceId);
    assert.deepEqual(listed && { name: listed.name, spanCount: listed.spanCount, error: listed.error }, {
      name: 'GET /users/:id',
      spanCount: 2,
      error: true,
    });
    assert.equal(tracing.recent.traces(1).length, 1);
    assert.deepEqual(tracing.recent.trace('0af7651916cd43dd8448eb211c80319c'), []);
  });

  test('the buffer keeps at most its bytes, the newest export requests', async () => {
    const tracer = tracing.tracer;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const span = tracer.startSpan(`batch-${i}`);
      span.end();
      ids.push(span.spanContext().traceId);
      await tracing.forceFlush();
    }
    const bodies = receiver.bodies.slice(-5);
    const largest = Math.max(...bodies.map((b) => b.length));
    const small = new RecentSpans(largest * 2);
    for (const body of bodies) small.add(body);
    assert.ok(small.bytes <= largest * 2);
    assert.deepEqual(small.trace(ids[0] as string), [], 'the oldest request was dropped');
    assert.equal(small.trace(ids[4] as string).length, 1, 'the newest is kept');
  });
});
