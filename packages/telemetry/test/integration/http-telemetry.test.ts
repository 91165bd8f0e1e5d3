/**
 * HttpServerTelemetry without Fastify — the path a raw request handler (the
 * gateway's proxy) uses: the same metrics, a server span continuing the
 * caller's trace, and that span active inside `run`.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, test } from 'node:test';
import { trace, context } from '@opentelemetry/api';
import { AnomalyConfig, createServiceTelemetry, httpServerTelemetry, MetricsConfig, TracingConfig } from '@flotilla/telemetry';
import Value from 'typebox/value';
import { parseExposition, sampleValue, SPAN_KIND, startOtlpReceiver } from '@flotilla/testing';

const receiver = await startOtlpReceiver();
after(() => receiver.close());

test('a raw node:http handler records RED metrics and a server span through HttpServerTelemetry', async () => {
  const telemetry = await createServiceTelemetry({
    identity: { service: 'edge', version: '1.0.0', namespace: 'test' },
    settings: {
      metrics: Value.Default(MetricsConfig, {}) as never,
      tracing: Value.Default(TracingConfig, { enabled: true, endpoint: receiver.endpoint, batchDelayMs: 20 }) as never,
      anomaly: Value.Default(AnomalyConfig, {}) as never,
    },
  });
  const http = httpServerTelemetry(telemetry);
  let activeInside: string | undefined;
  const server = createServer((req, res) => {
    const request = http.start(req, req.url?.startsWith('/api/users/') ? '/api/users/**' : undefined);
    request.run(() => {
      activeInside = trace.getSpan(context.active())?.spanContext().spanId;
      res.statusCode = req.url?.startsWith('/api/users/') ? 200 : 404;
      res.end('{}');
    });
    res.once('close', () => request.end(res.writableFinished ? res.statusCode : 499));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    assert.equal((await fetch(`${base}/api/users/42`, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } })).status, 200);
    assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
    const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId), 'the edge span');
    const span = spans.find((s) => s.traceId === traceId);
    assert.equal(span?.name, 'GET /api/users/**');
    assert.equal(span?.kind, SPAN_KIND.server);
    assert.equal(span?.parentSpanId, 'b7ad6b7169203331');
    assert.equal(span?.service, 'edge');
    assert.equal(span?.attributes['http.response.status_code'], 200);
    assert.ok(activeInside !== undefined && activeInside !== '', 'a span was active inside run()');

    const samples = parseExposition(await telemetry.metrics.metrics());
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'GET',
        http_route: '/api/users/**',
        http_response_status_code: '200',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'GET',
        http_route: '(unmatched)',
        http_response_status_code: '404',
      }),
      1,
    );
    assert.equal(sampleValue(samples, 'http_server_active_requests', { http_request_method: 'GET' }), 0);
  } finally {
    server.close();
    await telemetry.shutdown();
  }
});
