/**
 * A service's HTTP server span, as deadlines see it: it carries the budget
 * the caller allowed (`flotilla.deadline.budget_ms`, from `x-request-timeout`
 * / `grpc-timeout`), and it ends — with the request counted as no longer in
 * flight — when the caller gives up after sending its whole request (what a
 * caller whose deadline passed first does), although Fastify then runs
 * neither onResponse nor onRequestAbort.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, type HttpApp } from '@flotilla/http';
import {
  AnomalyConfig,
  createLogger,
  createServiceTelemetry,
  MetricsConfig,
  TracingConfig,
  type ServiceTelemetry,
} from '@flotilla/telemetry';
import Value from 'typebox/value';
import { captureLogs, type OtlpReceiver, parseExposition, sampleValue, SPAN_KIND, startOtlpReceiver } from '@flotilla/testing';

const BUDGET = 'flotilla.deadline.budget_ms';

describe('HTTP server spans and deadlines', () => {
  let receiver: OtlpReceiver;
  let telemetry: ServiceTelemetry;
  let app: HttpApp;
  let port = 0;
  /** Resolves the `/held` handler that is waiting. */
  let releaseHeld: (() => void) | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
    telemetry = await createServiceTelemetry({
      identity: { service: 'svc', version: '1.0.0', namespace: 'test' },
      settings: {
        metrics: Value.Default(MetricsConfig, {}) as never,
        tracing: Value.Default(TracingConfig, {
          enabled: true,
          endpoint: receiver.endpoint,
          batchDelayMs: 20,
        }) as never,
        anomaly: Value.Default(AnomalyConfig, {}) as never,
      },
    });
    app = createHttpServer({ logger: createLogger({ service: 'svc', destination: captureLogs().stream }), telemetry });
    app.get('/quick', async () => ({ ok: true }));
    app.post('/held', async () => {
      await new Promise<void>((resolve) => (releaseHeld = resolve));
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    releaseHeld?.();
    await app?.close();
    await telemetry?.shutdown();
    await receiver?.close();
  });

  const spanOf = async (traceId: string) =>
    (
      await receiver.waitFor((spans) => spans.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.server), `the span of ${traceId}`)
    ).find((s) => s.traceId === traceId && s.kind === SPAN_KIND.server);

  test("the span carries the caller's budget, the shorter of x-request-timeout and grpc-timeout; none without one", async () => {
    const cases: Array<[traceId: string, headers: Record<string, string>, budget: number | undefined]> = [
      ['1'.repeat(32), { 'x-request-timeout': '1234' }, 1234],
      ['2'.repeat(32), { 'x-request-timeout': '900', 'grpc-timeout': '2S' }, 900],
      ['3'.repeat(32), {}, undefined],
    ];
    for (const [traceId, headers, budget] of cases) {
      const answer = await fetch(`http://127.0.0.1:${port}/quick`, {
        headers: { ...headers, traceparent: `00-${traceId}-${'a'.repeat(16)}-01` },
      });
      assert.equal(answer.status, 200);
      assert.equal((await spanOf(traceId))?.attributes[BUDGET], budget, JSON.stringify(headers));
    }
  });

  test('a caller that leaves after sending its whole request ends the span (499) and the request is no longer in flight', async () => {
    const traceId = '4'.repeat(32);
    const handlerWaiting = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (releaseHeld !== undefined) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    const sent = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/held',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${'b'.repeat(16)}-01` },
    });
    sent.on('error', () => undefined);
    sent.end('{}');
    await handlerWaiting;
    sent.destroy();

    const span = await spanOf(traceId);
    assert.equal(span?.attributes['error.type'], 'client_closed_request');
    const inFlight = async (): Promise<number> =>
      sampleValue(parseExposition(await telemetry.metrics.metrics()), 'http_server_active_requests', {
        http_request_method: 'POST',
      });
    assert.equal(await inFlight(), 0);
    // The handler finishing later changes nothing.
    releaseHeld?.();
    assert.equal(await inFlight(), 0);
  });
});
